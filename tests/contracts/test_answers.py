"""all_answer / all_succeed / falls_back: every request in the window answered like an answer spec."""

from __future__ import annotations

from support.answers import OK, answer
from support.histories import History

from chaos.contracts import Status, all_answer, all_succeed, falls_back

DEGRADED = answer({"status": 200, "json": "degraded", "equals": True})


def test_all_succeed_passes_and_fails_on_one_503() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.steady(0.0, 3.0)
    assert all_succeed(h.tl, window=window, label="api", answer=OK).status is Status.PASSED
    h.req(1.55, 0.02, 503)
    verdict = all_succeed(h.tl, window=window, label="api", answer=OK)
    assert verdict.status is Status.FAILED
    assert "1 of 12 requests 'api' started in fault 'db_down'" in verdict.summary
    assert verdict.evidence == ("+1.550 s GET /api [api] -> 503 in 0.020 s",)


def test_transport_errors_are_offenders_but_cancelled_requests_are_left_out() -> None:
    h = History()
    h.req(0.1)
    h.req(0.2, 1.0, error="Cancelled")
    assert all_succeed(h.tl, window=(0, None), answer=OK).figures["cancelled"] == 1
    assert all_succeed(h.tl, window=(0, None), answer=OK).status is Status.PASSED
    h.req(0.3, 2.0, error="ReadTimeout")
    verdict = all_succeed(h.tl, window=(0, None), answer=OK)
    assert verdict.status is Status.FAILED
    assert "ReadTimeout after 2.000 s" in verdict.evidence[0]


def test_falls_back_needs_the_body_flag() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(1.1, seen={"json:degraded": True})
    h.req(1.2, seen={"json:degraded": True})
    assert falls_back(h.tl, window=window, answer=DEGRADED).status is Status.PASSED
    h.req(1.3, seen={"json:degraded": False})
    h.req(1.4, seen={"json:degraded": 1})  # 1 is not true
    h.req(1.5)  # no JSON body at all
    verdict = falls_back(h.tl, window=window, answer=DEGRADED)
    assert verdict.status is Status.FAILED
    assert verdict.figures["offenders"] == 3
    assert "did not answer status 200 and json degraded == true" in verdict.summary
    assert verdict.evidence[0] == "+1.300 s GET /api [api] -> 200 in 0.010 s (json degraded: false)"
    assert verdict.evidence[1].endswith("(json degraded: 1)")
    assert verdict.evidence[2].endswith("(json degraded: absent)")


def test_all_answer_with_other_statuses_and_labels() -> None:
    h = History()
    window = h.fault(1.0, 2.0, name="restart")
    h.req(1.1, status=429, label="login")
    h.req(1.2, status=200, label="other")
    assert all_answer(h.tl, window=window, answer=answer(429), label="login").status is Status.PASSED
    h.req(1.3, status=401, label="login")
    assert all_answer(h.tl, window=window, answer=answer(429), label="login").status is Status.FAILED


def test_empty_window_is_inconclusive() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(0.5)
    h.req(2.5)
    verdict = all_succeed(h.tl, window=window, answer=OK)
    assert verdict.status is Status.INCONCLUSIVE
    assert "no requests started in fault 'db_down'" in verdict.summary


def test_a_status_class_and_a_header_answer_name_what_they_saw() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(1.1, status=204)
    assert all_succeed(h.tl, window=window, answer=answer("2xx")).status is Status.PASSED
    h.req(1.2, status=304)
    assert all_succeed(h.tl, window=window, answer=answer("2xx")).status is Status.FAILED
    cached = answer({"header": "X-Cache", "equals": "HIT"})
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(1.1, seen={"header:x-cache": "HIT"})
    assert all_answer(h.tl, window=window, answer=cached).status is Status.PASSED
    h.req(1.2, seen={"header:x-cache": "MISS"})
    h.req(1.3, error="ReadTimeout")
    verdict = all_answer(h.tl, window=window, answer=cached)
    assert verdict.status is Status.FAILED
    assert "did not answer header x-cache == 'HIT'" in verdict.summary
    assert verdict.evidence == ("+1.200 s GET /api [api] -> 200 in 0.010 s (header x-cache: 'MISS')",
                                "+1.300 s GET /api [api] -> ReadTimeout after 0.010 s")


def test_falls_back_judges_only_what_was_answered_under_the_fault() -> None:
    """A request that started in the fault's last second but was answered after the heal (a slow
    service calls its upstream late) is not under the fault: not judged, whatever it answered."""
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(1.2, 0.1, seen={"json:degraded": True})
    h.req(1.9, 0.5, seen={"json:degraded": False})      # answered at +2.4 s, after the heal
    verdict = falls_back(h.tl, window=window, answer=DEGRADED, label="api")
    assert verdict.status is Status.PASSED
    assert verdict.figures["requests"] == 1
    h.req(1.5, 0.2, seen={"json:degraded": False})      # answered at +1.7 s, under the fault
    assert falls_back(h.tl, window=window, answer=DEGRADED, label="api").status is Status.FAILED
    # all_answer keeps judging by start alone unless asked
    assert all_answer(h.tl, window=window, answer=DEGRADED, label="api").figures["requests"] == 3
