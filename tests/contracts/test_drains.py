"""drains: in-flight requests complete, readiness 503, new connections refused, exit 0 in the grace."""

from __future__ import annotations

import pytest
from support.histories import History

from chaos.contracts import Status, drains


def graceful() -> tuple[History, int]:
    """SIGTERM at 2.0; two slow requests in flight finish at 3.0; /ready 503 until the listener closes
    at 2.5; new connections answered until 2.5, refused after; exit 0 at 3.2."""
    h = History()
    h.req(1.0, 2.0, label="slow")
    h.req(1.5, 1.5, label="slow")
    h.req(0.5, 0.5, label="slow")  # done before the SIGTERM: not in flight
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 0.0, 2.0)
    h.probes("ready", 2.0, 2.5, ok=False, status=503)
    h.probes("ready", 2.5, 4.0, ok=False, status=None, error="ConnectError")
    h.steady(2.0, 2.5, label="new", status=503)
    h.steady(2.5, 3.2, label="new", latency_s=0.001, error="ConnectError")
    h.exit(3.2, 0)
    return h, sigterm


def test_a_graceful_drain_passes_with_the_drain_time() -> None:
    h, sigterm = graceful()
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new")
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["exit.drain_s"] == pytest.approx(1.2)
    assert verdict.figures["in_flight.requests"] == 2
    assert verdict.figures["refused.refused"] == 7


def test_killed_in_flight_requests_and_a_nonzero_exit_fail() -> None:
    h = History()
    h.req(1.0, 1.05, label="slow", error="RemoteProtocolError")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 0.0, 2.0)
    h.probes("ready", 2.1, 3.0, ok=False, status=None, error="ConnectError")
    h.exit(2.05, -15)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow")
    assert verdict.status is Status.FAILED
    statuses = {p.contract: p.status for p in verdict.parts}
    assert statuses == {"in_flight": Status.FAILED, "exit": Status.FAILED,
                        "not_ready": Status.INCONCLUSIVE}  # it died before any probe could see it
    assert "was killed by SIGTERM, not with code 0" in verdict.summary   # the signal by name, not -15
    assert "+1.000 s GET /slow [slow] -> RemoteProtocolError after 1.050 s" in verdict.evidence


def test_exit_after_the_grace_or_never_fails() -> None:
    h, sigterm = graceful()
    assert drains(h.tl, sigterm_ns=sigterm, grace_s=1.0, in_flight_label="slow").status is Status.FAILED
    h = History()
    h.req(1.0, 2.0, label="slow")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 2.5, ok=False, status=503)
    h.probes("alive", 0.0, 5.0)
    short_watch = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow")
    assert short_watch.status is Status.INCONCLUSIVE  # watched 3 s of a 10 s grace: cannot tell yet
    h.probes("alive", 5.0, 12.5)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow")
    assert verdict.status is Status.FAILED
    assert "no exit of sut recorded after the SIGTERM at +2.000 s (watched 10.400 s" in verdict.summary


def test_new_connections_that_hang_or_are_never_refused_fail() -> None:
    h, sigterm = graceful()
    h.req(2.9, 5.0, label="new", error="ReadTimeout")  # accepted after the listener closed, then hung
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new")
    assert verdict.status is Status.FAILED
    assert "hung or were reset (ReadTimeout)" in verdict.summary
    h = History()
    h.req(1.0, 2.0, label="slow")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 3.0, ok=False, status=503)
    h.steady(2.0, 3.0, label="new", status=503)
    h.exit(3.0, 0)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new")
    assert verdict.status is Status.FAILED
    assert "no new connection was refused" in verdict.summary


def test_nothing_in_flight_is_inconclusive() -> None:
    h = History()
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 2.5, ok=False, status=503)
    h.exit(2.5, 0)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow")
    assert verdict.status is Status.INCONCLUSIVE
    assert "no requests 'slow' were in flight" in verdict.summary
