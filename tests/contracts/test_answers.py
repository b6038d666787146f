"""all_answer / all_succeed / falls_back: every request in the window answered as allowed."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import BodyField, Status, all_answer, all_succeed, falls_back


def test_all_succeed_passes_and_fails_on_one_503() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.steady(0.0, 3.0)
    assert all_succeed(h.tl, window=window, label="api").status is Status.PASSED
    h.req(1.55, 0.02, 503)
    verdict = all_succeed(h.tl, window=window, label="api")
    assert verdict.status is Status.FAILED
    assert "1 of 12 requests 'api' started in fault 'db_down'" in verdict.summary
    assert verdict.evidence == ("+1.550 s GET /api [api] -> 503 in 0.020 s",)


def test_transport_errors_are_offenders_but_cancelled_requests_are_left_out() -> None:
    h = History()
    h.req(0.1)
    h.req(0.2, 1.0, error="Cancelled")
    assert all_succeed(h.tl, window=(0, None)).figures["cancelled"] == 1
    assert all_succeed(h.tl, window=(0, None)).status is Status.PASSED
    h.req(0.3, 2.0, error="ReadTimeout")
    verdict = all_succeed(h.tl, window=(0, None))
    assert verdict.status is Status.FAILED
    assert "ReadTimeout after 2.000 s" in verdict.evidence[0]


def test_falls_back_needs_the_body_flag() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(1.1, body={"degraded": True, "items": 3})
    h.req(1.2, body={"degraded": True})
    assert falls_back(h.tl, window=window, body=BodyField(name="degraded")).status is Status.PASSED
    h.req(1.3, body={"degraded": False})
    h.req(1.4, body={"degraded": 1})  # 1 is not true
    h.req(1.5)  # no JSON body at all
    verdict = falls_back(h.tl, window=window, body=BodyField(name="degraded"))
    assert verdict.status is Status.FAILED
    assert verdict.figures["offenders"] == 3
    assert "with body.degraded == true" in verdict.summary
    assert "(body.degraded: False)" in verdict.evidence[0]
    assert "(body.degraded: absent)" in verdict.evidence[2]


def test_all_answer_with_other_statuses_and_labels() -> None:
    h = History()
    window = h.fault(1.0, 2.0, name="restart")
    h.req(1.1, status=429, label="login")
    h.req(1.2, status=200, label="other")
    assert all_answer(h.tl, window=window, statuses={429}, label="login").status is Status.PASSED
    h.req(1.3, status=401, label="login")
    assert all_answer(h.tl, window=window, statuses={429}, label="login").status is Status.FAILED


def test_empty_window_is_inconclusive() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(0.5)
    h.req(2.5)
    verdict = all_succeed(h.tl, window=window)
    assert verdict.status is Status.INCONCLUSIVE
    assert "no requests started in fault 'db_down'" in verdict.summary
