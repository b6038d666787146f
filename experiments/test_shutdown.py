"""Shutdown contracts: SIGTERM drains in-flight requests before the process exits."""

from __future__ import annotations

import signal

import pytest

from chaos.contracts import all_answer, drains
from chaos.experiment import Experiment
from chaos.faults import SutSignalled
from chaos.observe import Window
from chaos.targetfile import ContractSpec

IN_FLIGHT = 3


@pytest.mark.chaos_contract("graceful_drain")
def test_sigterm_drains_in_flight_requests(experiment: Experiment, contract: ContractSpec) -> None:
    """SIGTERM while slow requests are in flight: they complete healthy, readiness reports not ready
    before the exit (when the service has a readiness endpoint; a closed listener counts), new
    connections are turned away once the listener closes, and the process exits 0 within the
    shutdown grace period."""
    process = contract.text("process")
    if process != "service":
        _drain_a_worker(experiment, process)
        return
    slow = experiment.request("slow_request", label="in_flight")
    slow_s = contract.seconds("slow_request_s")
    service = experiment.env.target.service
    grace_s = service.shutdown_grace_s
    newcomer = experiment.health_request(label="new")
    experiment.steady_state()
    sut = experiment.env.sut
    with experiment.probes(interval_s=0.05), \
            experiment.load(slow, duration_s=0.2, rate_per_s=IN_FLIGHT * 10, concurrency=IN_FLIGHT,
                            max_requests=IN_FLIGHT, timeout_s=slow_s + grace_s + 2.0, model="closed"), \
            experiment.load(newcomer, rate_per_s=20, timeout_s=grace_s + 2.0, fresh_connections=True):
        # Newcomers wait longer than the grace: one parked in the listen backlog of a service that
        # stopped accepting (gunicorn does) ends with the reset at the exit, a refusal, not a client
        # timeout that would read as a hang; and their in-flight cap is the open model's own.
        experiment.hold(min(0.5, slow_s / 3))      # the slow requests are in flight now
        sigterm_ns = experiment.timeline.mark("sigterm").at_ns
        with experiment.fault(SutSignalled(sut=sut, sig=signal.SIGTERM)):
            sut.wait_exit(timeout_s=grace_s + 1.0)
            experiment.record_exit()
            experiment.hold(0.5)                   # the resets of the backlog arrive: nothing is left open
    experiment.check(drains(experiment.timeline, sigterm_ns=sigterm_ns, grace_s=grace_s,
                            in_flight_label="in_flight", new_label="new", healthy=experiment.healthy,
                            not_ready=experiment.answer("not_ready") if service.ready is not None else None))


def _drain_a_worker(experiment: Experiment, process: str) -> None:
    """SIGTERM to a worker of the service ([service.processes]): it exits 0 within its grace, and the
    service keeps answering healthy meanwhile (a worker's jobs in flight cannot be seen from here)."""
    service = experiment.env.target.service
    spec = service.processes[process]
    grace_s = spec.shutdown_grace_s or service.shutdown_grace_s
    health = experiment.health_request(label="service")
    experiment.steady_state([health])
    worker = experiment.env.process(process)
    with experiment.probes(interval_s=0.05), experiment.load(health, rate_per_s=10, timeout_s=2.0):
        experiment.hold(0.5)
        sigterm_ns = experiment.timeline.mark("sigterm", process).at_ns
        with experiment.fault(SutSignalled.of(experiment.env, process, signal.SIGTERM)):
            worker.wait_exit(timeout_s=grace_s + 1.0)
            experiment.hold(0.5)
    experiment.check(
        drains(experiment.timeline, sigterm_ns=sigterm_ns, grace_s=grace_s, process=process, serves_requests=False,
               healthy=experiment.healthy, not_ready=None),
        all_answer(experiment.timeline, window=Window(start_ns=sigterm_ns), answer=experiment.healthy,
                   label="service", contract="service unaffected"),
    )
