"""errors_only_within: failures only during [fault start, heal + grace]."""

from __future__ import annotations

from support.answers import HEALTHY
from support.histories import History

from chaos.contracts import Status, errors_only_within


def outage() -> History:
    h = History()
    h.steady(0.0, 1.0)
    h.steady(1.0, 3.0, status=503)
    h.steady(3.0, 5.0)
    return h


def test_errors_inside_the_outage_pass() -> None:
    h = outage()
    fault = h.fault(1.0, 3.0)
    verdict = errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["failures_inside"] == 20


def test_an_error_before_the_fault_or_after_the_grace_fails() -> None:
    h = outage()
    h.req(0.55, 0.01, 500)
    h.req(4.2, 0.05, error="ConnectError")
    fault = h.fault(1.0, 3.0)
    verdict = errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY)
    assert verdict.status is Status.FAILED
    assert "2 of 22 failed requests fell outside fault 'db_down' [+1.000 s, +3.000 s] + 0.5 s grace" \
        in verdict.summary
    assert verdict.evidence[1] == "+4.200 s GET /api [api] -> ConnectError after 0.050 s"


def test_a_request_in_flight_at_the_fault_start_may_fail() -> None:
    h = outage()
    h.req(0.9, 0.3, 503)  # started before, ended inside
    fault = h.fault(1.0, 3.0)
    assert errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY).status is Status.PASSED


def test_inconclusive_without_requests_after_the_grace_or_without_a_heal() -> None:
    h = History()
    h.steady(0.0, 3.0)
    fault = h.fault(1.0, 3.0)
    assert errors_only_within(h.tl, fault=fault, grace_s=0.5, healthy=HEALTHY).status is Status.INCONCLUSIVE
    open_fault = History().fault(1.0, None)
    unhealed = errors_only_within(History().tl, fault=open_fault, grace_s=0.5, healthy=HEALTHY)
    assert unhealed.status is Status.INCONCLUSIVE
