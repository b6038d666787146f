"""retries_back_off: bounded attempts per request, gaps >= Retry-After and growing."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import Status, retries_back_off


def request_with_attempts(h: History, start_s: float, gaps: list[float], label: str = "quote") -> None:
    t = start_s + 0.01
    h.call(t, status=429)
    for gap in gaps:
        t += gap
        h.call(t, status=429)
    h.req(start_s, t - start_s + 0.02, 200, label=label, seen={"json:degraded": True})


def test_growing_gaps_within_attempts_pass() -> None:
    h = History()
    request_with_attempts(h, 0.0, [0.5, 1.0])
    request_with_attempts(h, 2.0, [0.5, 1.0])
    verdict = retries_back_off(h.tl, label="quote", max_attempts=3, min_gap_s=0.5)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["max_attempts_seen"] == 3


def test_immediate_retries_fail_with_the_gaps() -> None:
    h = History()
    request_with_attempts(h, 0.0, [0.01, 0.01, 0.01, 0.01])
    verdict = retries_back_off(h.tl, label="quote", max_attempts=3, min_gap_s=0.5)
    assert verdict.status is Status.FAILED
    assert "made more than 3 upstream attempts" in verdict.summary
    assert "retried without backing off" in verdict.summary
    assert any("gaps 0.010, 0.010, 0.010, 0.010 s" in line for line in verdict.evidence)


def test_shrinking_gaps_fail_only_when_growth_is_required() -> None:
    h = History()
    request_with_attempts(h, 0.0, [1.0, 0.6])
    assert retries_back_off(h.tl, label="quote", max_attempts=3, min_gap_s=0.5).status is Status.FAILED
    assert retries_back_off(h.tl, label="quote", max_attempts=3, min_gap_s=0.5,
                            growing=False).status is Status.PASSED


def test_no_retry_or_overlapping_requests_are_inconclusive() -> None:
    h = History()
    request_with_attempts(h, 0.0, [])
    assert retries_back_off(h.tl, label="quote", max_attempts=3).status is Status.INCONCLUSIVE
    h.req(0.005, 0.5, label="quote")
    assert "overlap" in retries_back_off(h.tl, label="quote", max_attempts=3).summary
    assert retries_back_off(History().tl, label="quote", max_attempts=3).status is Status.INCONCLUSIVE
