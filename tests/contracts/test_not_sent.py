"""A request the open-model load could not send counts, for every contract, as a hang of the service.

Each check is shown both ways: the same history without the requests not sent passes, with them it
fails, and the evidence reads "not sent: 8 in flight" (decided once, in chaos.contracts.conditions).
"""

from __future__ import annotations

from support.answers import HEALTHY, OK
from support.histories import History, ns

from chaos.contracts import (
    HUNG_ERRORS,
    Status,
    all_succeed,
    bounded,
    errors_only_within,
    fails_fast,
    is_failure,
    is_indeterminate,
    is_timeout,
    recovers_within,
)
from chaos.contracts._evidence import request_line
from chaos.observe import NOT_SENT, RequestDone, Window


def served(*, not_sent_at: tuple[float, ...] = ()) -> tuple[History, Window]:
    """Fast 200s every 0.1 s over [0, 6) s, a fault over [1, 3] s, and slots not sent at `not_sent_at`."""
    h = History()
    h.steady(0.0, 6.0)
    for at_s in not_sent_at:
        h.not_sent(at_s, in_flight=8)
    return h, h.fault(1.0, 3.0)


def test_not_sent_is_a_hung_failure_and_never_indeterminate() -> None:
    h, _ = served(not_sent_at=(2.0,))
    [unsent] = [r for r in h.tl.requests() if r.not_sent]
    assert unsent.error == NOT_SENT in HUNG_ERRORS
    assert (is_failure(unsent), is_timeout(unsent), is_indeterminate(unsent)) == (True, True, False)


def test_bounded_counts_it_over_budget() -> None:
    h, fault = served()
    assert bounded(h.tl, window=fault, budget_s=0.5).status is Status.PASSED
    h, fault = served(not_sent_at=(2.0, 2.05))
    verdict = bounded(h.tl, window=fault, budget_s=0.5)
    assert verdict.status is Status.FAILED
    assert verdict.figures["over_budget"] == verdict.figures["timeouts"] == 2
    assert "max latency is a request not sent (8 in flight), over the 0.5 s budget: 2 of 23" in verdict.summary
    assert verdict.evidence[0] == "+2.050 s GET /api [api] -> not sent: 8 in flight"


def test_fails_fast_counts_it_as_a_slow_failure() -> None:
    h, fault = served()
    assert fails_fast(h.tl, window=fault, budget_s=0.5, healthy=HEALTHY).status is Status.PASSED
    h, fault = served(not_sent_at=(2.0,))
    verdict = fails_fast(h.tl, window=fault, budget_s=0.5, healthy=HEALTHY)
    assert verdict.status is Status.FAILED
    assert verdict.figures["slow_failures"] == 1
    assert verdict.evidence == ("+2.000 s GET /api [api] -> not sent: 8 in flight",)


def test_all_succeed_counts_it_as_an_offender() -> None:
    h, fault = served()
    assert all_succeed(h.tl, window=fault, answer=OK).status is Status.PASSED
    h, fault = served(not_sent_at=(1.5,))
    verdict = all_succeed(h.tl, window=fault, answer=OK)
    assert verdict.status is Status.FAILED
    assert "1 of 22" in verdict.summary
    assert verdict.evidence == ("+1.500 s GET /api [api] -> not sent: 8 in flight",)


def test_recovers_within_counts_it_as_a_relapse() -> None:
    h, _ = served()
    assert recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK).status is Status.PASSED
    h, _ = served(not_sent_at=(4.5,))
    verdict = recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK)
    assert verdict.status is Status.FAILED
    assert verdict.figures["failures_after_recovery"] == 1
    assert "relapse: +4.500 s GET /api [api] -> not sent: 8 in flight" in verdict.evidence


def test_errors_only_within_places_it_at_its_intended_time() -> None:
    h, fault = served(not_sent_at=(2.0,))
    inside = errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY)
    assert inside.status is Status.PASSED, inside.explain()
    assert inside.figures["failures_inside"] == 1
    h, fault = served(not_sent_at=(4.0,))
    outside = errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY)
    assert outside.status is Status.FAILED
    assert outside.evidence == ("+4.000 s GET /api [api] -> not sent: 8 in flight",)


def test_a_late_send_is_shown_in_the_evidence() -> None:
    """The open model measures latency from the intended start; the line says how late it left."""
    h = History()
    late = RequestDone(label="api", method="GET", path="/api", start_ns=ns(1.0), end_ns=ns(1.4),
                       status=200, sent_ns=ns(1.25))
    on_time = RequestDone(label="api", method="GET", path="/api", start_ns=ns(2.0), end_ns=ns(2.4),
                          status=200, sent_ns=ns(2.0))
    assert (late.latency_s, late.late_s) == (0.4, 0.25)
    assert request_line(h.tl, late) == "+1.000 s GET /api [api] -> 200 in 0.400 s (sent 0.250 s late)"
    assert request_line(h.tl, on_time) == "+2.000 s GET /api [api] -> 200 in 0.400 s"
