"""drains: in-flight requests complete, readiness not ready, new connections turned away, exit 0 in the grace."""

from __future__ import annotations

import pytest
from support.answers import NOT_READY, NOT_READY_503, OK
from support.histories import History, ns

from chaos.contracts import Status, drains
from chaos.observe import ProcessExited


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
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=NOT_READY_503)
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
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow",
                     healthy=OK, not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    statuses = {p.contract: p.status for p in verdict.parts}
    assert statuses == {"in_flight": Status.FAILED, "exit": Status.FAILED,
                        "not_ready": Status.INCONCLUSIVE}  # it died before any probe could see it
    assert "was killed by SIGTERM, not with code 0" in verdict.summary   # the signal by name, not -15
    assert "+1.000 s GET /slow [slow] -> RemoteProtocolError after 1.050 s" in verdict.evidence


def test_exit_after_the_grace_or_never_fails() -> None:
    h, sigterm = graceful()
    assert drains(h.tl, sigterm_ns=sigterm, grace_s=1.0, in_flight_label="slow",
                  healthy=OK, not_ready=NOT_READY_503).status is Status.FAILED
    h = History()
    h.req(1.0, 2.0, label="slow")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 2.5, ok=False, status=503)
    h.probes("alive", 0.0, 5.0)
    short_watch = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow",
                         healthy=OK, not_ready=NOT_READY_503)
    assert short_watch.status is Status.INCONCLUSIVE  # watched 3 s of a 10 s grace: cannot tell yet
    h.probes("alive", 5.0, 12.5)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow",
                     healthy=OK, not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "no exit of sut recorded after the SIGTERM at +2.000 s (watched 10.400 s" in verdict.summary


def test_new_connections_that_hang_or_are_never_refused_fail() -> None:
    h, sigterm = graceful()
    h.req(2.9, 5.0, label="new", error="ReadTimeout")  # accepted after the listener closed, then hung
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "hung (ReadTimeout)" in verdict.summary
    h = History()
    h.req(1.0, 2.0, label="slow")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 3.0, ok=False, status=503)
    h.steady(2.0, 3.0, label="new", status=503)
    h.exit(3.0, 0)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "no new connection was turned away" in verdict.summary


def test_nothing_in_flight_is_inconclusive() -> None:
    h = History()
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 2.0, 2.5, ok=False, status=503)
    h.exit(2.5, 0)
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow",
                     healthy=OK, not_ready=NOT_READY_503)
    assert verdict.status is Status.INCONCLUSIVE
    assert "no requests 'slow' were in flight" in verdict.summary


def closed_listener(new_error: str) -> tuple[History, int]:
    """A service that closes its listener at the SIGTERM: /ready and new connections end in
    `new_error` at once; the slow requests in flight still finish; exit 0 at 3.2."""
    h = History()
    h.req(1.0, 2.0, label="slow")
    sigterm = h.mark("sigterm sent", 2.0)
    h.probes("ready", 0.0, 2.0)
    h.probes("ready", 2.0, 3.2, ok=False, status=None, error=new_error)
    h.steady(2.0, 3.2, label="new", latency_s=0.001, error=new_error)
    h.exit(3.2, 0)
    return h, sigterm


def test_connections_reset_in_the_listen_backlog_are_refusals_not_hangs() -> None:
    """Changed with the answer vocabulary: a reset new connection (a listener closed with
    connections still queued) used to count as "hung or reset" and failed the drain."""
    for error in ("ConnectionResetError", "ReadError", "RemoteProtocolError"):
        h, sigterm = closed_listener(error)
        verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                         healthy=OK, not_ready=NOT_READY)
        assert verdict.status is Status.PASSED, (error, verdict.explain())
        assert verdict.figures["refused.refused"] == 12
        assert verdict.figures["refused.hung"] == 0
    h, sigterm = closed_listener("ReadTimeout")   # accepted, then never answered: still hung
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=NOT_READY)
    assert verdict.status is Status.FAILED
    assert "12 new requests 'new' between the SIGTERM at +2.000 s and the exit at +3.200 s hung (ReadTimeout)" \
        in verdict.summary


def test_a_refused_readiness_probe_is_not_ready_when_the_answer_says_so() -> None:
    h, sigterm = closed_listener("ConnectError")
    passed = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", healthy=OK,
                    not_ready=NOT_READY)
    assert passed.status is Status.PASSED, passed.explain()
    assert passed.figures["not_ready.not_ready"] == 12
    only_503 = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", healthy=OK,
                      not_ready=NOT_READY_503)
    assert only_503.status is Status.FAILED
    assert "not_ready: 'ready' never answered status 503 between the SIGTERM" in only_503.summary


def test_without_a_readiness_endpoint_the_not_ready_part_is_skipped() -> None:
    h, sigterm = closed_listener("ConnectError")
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=None)
    assert verdict.status is Status.PASSED, verdict.explain()
    parts = {p.contract: p.status for p in verdict.parts}
    assert parts == {"in_flight": Status.PASSED, "exit": Status.PASSED, "not_ready": Status.SKIPPED,
                     "refused": Status.PASSED}
    assert "not_ready: not checked: the service declares no readiness endpoint" in verdict.summary
    h.req(1.5, 1.0, label="slow", status=503)   # skipping readiness hides nothing else
    verdict = drains(h.tl, sigterm_ns=sigterm, grace_s=10, in_flight_label="slow", new_label="new",
                     healthy=OK, not_ready=None)
    assert verdict.status is Status.FAILED
    assert "1 of 2 requests 'slow' in flight at the SIGTERM at +2.000 s did not complete with status 200" \
        in verdict.summary


def test_a_worker_is_judged_on_its_exit_alone() -> None:
    """A process that serves no requests (a queue worker): its in-flight jobs are not observable,
    so that part is SKIPPED and says so; its exit decides."""
    h = History()
    h.tl.append(ProcessExited(pid=77, exit_code=0, at_ns=ns(1.5), process="worker"))
    verdict = drains(h.tl, sigterm_ns=ns(1.0), grace_s=5.0, process="worker", serves_requests=False,
                     healthy=OK, not_ready=None)
    assert verdict.status is Status.PASSED
    assert [(p.contract, p.status) for p in verdict.parts] == [("in_flight", Status.SKIPPED), ("exit", Status.PASSED)]
    assert "worker serves no requests" in verdict.parts[0].summary
    h.tl.append(ProcessExited(pid=78, exit_code=0, at_ns=ns(2.0), process="sut"))   # not the worker's exit
    late = History()
    late.tl.append(ProcessExited(pid=77, exit_code=1, at_ns=ns(1.5), process="worker"))
    failed = drains(late.tl, sigterm_ns=ns(1.0), grace_s=5.0, process="worker", serves_requests=False,
                    healthy=OK, not_ready=None)
    assert failed.status is Status.FAILED
    assert "worker exited with code 1, not with code 0" in failed.summary
