"""calls_bounded / calls_spaced: what reaches the upstream while a circuit breaker is open."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import Status, calls_bounded, calls_spaced


def breaker(threshold: int = 5, reset_s: float = 1.0) -> History:
    """Fault [1, 5]: `threshold` quick failing calls, then one half-open probe per reset period."""
    h = History()
    for i in range(10):
        h.call(i * 0.1, status=200)
    for i in range(threshold):
        h.call(1.0 + i * 0.05)
    t = 1.0 + (threshold - 1) * 0.05 + reset_s + 0.02
    while t < 5.0:
        h.call(t)
        t += reset_s + 0.02
    return h


def no_breaker() -> History:
    h = History()
    for i in range(40):
        h.call(1.0 + i * 0.1)
    return h


def test_calls_bounded_both_ways_and_inconclusive_without_an_upstream_log() -> None:
    h = breaker()
    fault = h.fault(1.0, 5.0)
    assert calls_bounded(h.tl, window=fault, max_calls=5 + 5).status is Status.PASSED
    verdict = calls_bounded(h.tl, window=fault, max_calls=5)
    assert verdict.status is Status.FAILED
    assert verdict.figures["calls"] == 8  # 5 in the burst, probes at +2.22, +3.24, +4.26
    assert verdict.evidence[0].startswith("beyond the limit: +2.220 s upstream call #16 GET /quote -> 503")
    empty = History()
    assert calls_bounded(empty.tl, window=empty.fault(1, 2), max_calls=3).status is Status.INCONCLUSIVE


def test_an_open_breaker_spaces_calls_and_probes_in_time() -> None:
    h = breaker()
    fault = h.fault(1.0, 5.0)
    verdict = calls_spaced(h.tl, window=fault, min_gap_s=0.9, max_gap_s=1.5, max_leading_calls=5)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["leading_calls"] == 5


def test_no_breaker_never_pauses() -> None:
    h = no_breaker()
    fault = h.fault(1.0, 5.0)
    verdict = calls_spaced(h.tl, window=fault, min_gap_s=0.9, max_leading_calls=5)
    assert verdict.status is Status.FAILED
    assert "never paused for 0.9 s" in verdict.summary


def test_too_many_leading_calls_too_soon_or_no_probe_fail() -> None:
    late = breaker(threshold=8)
    assert calls_spaced(late.tl, window=late.fault(1.0, 5.0), min_gap_s=0.9,
                        max_leading_calls=5).status is Status.FAILED
    soon = breaker()
    soon.call(3.5)
    verdict = calls_spaced(soon.tl, window=soon.fault(1.0, 5.0), min_gap_s=0.9, max_leading_calls=5)
    assert verdict.status is Status.FAILED
    assert "too soon: +3.500 s" in "\n".join(verdict.evidence)
    stuck = History()
    for i in range(5):
        stuck.call(1.0 + i * 0.05)
    stuck.call(2.5)
    verdict = calls_spaced(stuck.tl, window=stuck.fault(1.0, 6.0), min_gap_s=0.9, max_gap_s=1.5,
                           max_leading_calls=5)
    assert verdict.status is Status.FAILED
    assert "no call in the last 3.500 s" in verdict.summary


def test_too_few_calls_is_inconclusive() -> None:
    h = History()
    h.call(1.1)
    h.call(1.2)
    assert calls_spaced(h.tl, window=h.fault(1.0, 5.0), min_gap_s=0.9,
                        max_leading_calls=5).status is Status.INCONCLUSIVE
