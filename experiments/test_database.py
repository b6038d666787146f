"""Database contracts: pool errors, restarts, readiness, request timeouts, pool exhaustion, leaks."""

from __future__ import annotations

import pytest

from chaos.answers import AnyOf
from chaos.contracts import (
    all_answer,
    all_succeed,
    bounded,
    errors_only_within,
    fails_fast,
    ready_flips,
    recovers_within,
    stays_within,
    survives,
)
from chaos.experiment import Experiment
from chaos.experiment.timing import allowance, hold_for
from chaos.faults import (
    BackendsTerminated,
    DependencyRestarted,
    InvalidRequests,
    ProxyDisabled,
    ToxicFault,
)
from chaos.observe import Gauge, Window, fire
from chaos.targetfile import ContractSpec

OVERSUBSCRIPTION = 4
"""Requests per pooled connection in the exhaustion burst: with fewer, a pool without a timeout only
makes the last wave slow (still inside one pool timeout plus one DB latency), not visibly stuck."""


@pytest.mark.chaos_contract("pool_error_survival")
def test_pool_error_does_not_exit_the_process(experiment: Experiment, contract: ContractSpec) -> None:
    """Audit: `pool.on('error')` must not exit the process. Kill the SUT's pooled connections from the
    server side (idle ones among them), then reset them on the wire; the process must live and
    serve again. Its extra processes ([service.processes], a worker with a pool of its own) must
    live too."""
    db = experiment.postgres()
    request = experiment.request(for_load=True)
    recover_s = allowance(contract.seconds("recover_within_s"))
    with experiment.probes(), experiment.load(request):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(BackendsTerminated(dependency=db)):
            experiment.hold(0.5)
        with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="reset_peer",
                                         attributes={"timeout": 0}, streams=("upstream",))):
            experiment.hold(1.0)
        experiment.hold(recover_s + 1.0)
    first, last = experiment.timeline.fault_windows()[0], experiment.timeline.fault_windows()[-1]
    assert last.end_ns is not None
    window = Window(start_ns=first.start_ns, end_ns=experiment.timeline.last_ns())
    experiment.check(
        survives(experiment.timeline, window=window),
        *(survives(experiment.timeline, window=window, probe=f"alive:{name}", process=name)
          for name in experiment.env.processes),
        recovers_within(experiment.timeline, heal_ns=last.end_ns, within_s=recover_s, answer=experiment.healthy,
                        label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("db_restart")
def test_db_restart_fails_fast_and_recovers(experiment: Experiment, contract: ContractSpec) -> None:
    """Restart Postgres under load with an outage longer than the service's fail-fast budget: errors
    only inside the outage, each returned within the budget, success again soon after it is back."""
    db = experiment.postgres()
    request = experiment.request(for_load=True)
    fail_s = contract.seconds("fail_within_s")
    recover_s = contract.seconds("recover_within_s")
    down_s = hold_for(fail_s)
    grace_s = recover_s + fail_s
    # Load and probes run until the block ends: what is observed after the heal is decided by the hold,
    # whatever the steady state or the restart itself took (a container restart is slower).
    with experiment.probes(), experiment.load(request, timeout_s=down_s + 5):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(DependencyRestarted(dependency=db, down_s=down_s)):
            pass
        experiment.hold(grace_s + 1.5)
    outage = experiment.timeline.fault_window()
    assert outage.end_ns is not None
    healthy = experiment.healthy
    experiment.check(
        survives(experiment.timeline, window=outage.shifted(end_s=recover_s)),
        # requests already waiting for a connection when the DB came back may still fail, up to one
        # fail-fast budget later: that is the pool timeout doing its job, not an error outside the outage
        errors_only_within(experiment.timeline, fault=outage, grace_s=grace_s, healthy=healthy, label="request"),
        bounded(experiment.timeline, window=outage, budget_s=allowance(fail_s), declared_s=fail_s, label="request"),
        recovers_within(experiment.timeline, heal_ns=outage.end_ns, within_s=recover_s, answer=healthy,
                        label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("readiness")
def test_readiness_flips_while_the_db_is_unreachable(experiment: Experiment, contract: ContractSpec) -> None:
    """Liveness stays healthy throughout, readiness answers not ready while the DB is unreachable and
    ready again after."""
    db = experiment.postgres()
    flip_s = contract.seconds("flip_within_s")
    recover_s = contract.seconds("recover_within_s")
    with experiment.probes(interval_s=0.1):
        experiment.steady_state()
        experiment.hold(1.0)
        with experiment.fault(ProxyDisabled(client=experiment.env.proxy, dependency=db)):
            experiment.hold(allowance(flip_s) + 1.0)
        experiment.hold(allowance(recover_s) + 0.5)
    experiment.check(ready_flips(experiment.timeline, fault=experiment.timeline.fault_window(),
                                 flip_within_s=allowance(flip_s), recover_within_s=allowance(recover_s),
                                 not_ready=experiment.answer("not_ready")))


@pytest.mark.chaos_contract("request_timeout")
def test_no_request_outlives_the_request_timeout(experiment: Experiment, contract: ContractSpec) -> None:
    """Blackhole the DB (connections open, nothing answers): the global request timeout must cut every
    request, whatever the pool and driver do."""
    db = experiment.postgres()
    request = experiment.request(for_load=True)
    timeout_s = contract.seconds("timeout_s")
    hold_s = hold_for(timeout_s)
    with experiment.load(request, timeout_s=hold_s + 5, rate_per_s=10):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="timeout",
                                         attributes={"timeout": 0}, streams=("upstream", "downstream"))):
            experiment.hold(hold_s)
    window = experiment.timeline.fault_window()
    experiment.check(
        bounded(experiment.timeline, window=window.shifted(end_s=-allowance(timeout_s)),
                budget_s=allowance(timeout_s), declared_s=timeout_s, label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("pool_exhaustion")
def test_pool_exhaustion_fails_fast(experiment: Experiment, contract: ContractSpec) -> None:
    """Slow the DB so every pooled connection is busy, then ask for more: the extra requests are
    refused (as the service says it refuses) within the fail-fast budget instead of queueing
    without bound."""
    db = experiment.postgres()
    request = experiment.request()
    pool_size = contract.count("pool_size")
    fail_s = contract.seconds("fail_within_s")
    latency_s = contract.count("db_latency_ms") / 1000
    healthy, failed_fast = experiment.healthy, experiment.answer("failed_fast")
    experiment.steady_state([request])
    with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="latency",
                                     attributes={"latency": int(latency_s * 1000)})):
        burst = fire(experiment.base_url, [request] * (pool_size * OVERSUBSCRIPTION), experiment.timeline,
                     timeout_s=hold_for(fail_s + latency_s))
    window = experiment.timeline.fault_window()
    experiment.check(
        # the burst makes refusals certain for a bounded pool: none means it queued them all
        fails_fast(experiment.timeline, window=window, budget_s=allowance(fail_s), declared_s=fail_s,
                   healthy=healthy, label="request", expect_failures=True),
        bounded(experiment.timeline, window=window, budget_s=allowance(fail_s + latency_s),
                declared_s=fail_s + latency_s, label="request"),
        all_answer(experiment.timeline, window=window, answer=AnyOf(parts=(healthy, failed_fast)), label="request"),
    )
    assert len(burst) == pool_size * OVERSUBSCRIPTION
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("connection_leak")
def test_validation_errors_do_not_leak_connections(experiment: Experiment, contract: ContractSpec) -> None:
    """Many requests that fail validation, then normal load: the SUT's DB connections stay within the
    pool and normal requests still succeed."""
    db = experiment.postgres()
    bad = experiment.request("bad_request", label="invalid")
    normal = experiment.request(label="request", for_load=True)
    pool_max = contract.count("pool_max_size")
    experiment.steady_state([normal])
    with experiment.fault(InvalidRequests(base_url=experiment.base_url, request=bad,
                                          count=contract.count("bad_count"), timeline=experiment.timeline)):
        pass
    after_ns = experiment.timeline.now_ns()
    with experiment.load(normal, timeout_s=5.0):
        for _ in range(3):
            experiment.timeline.append(Gauge(name="db_connections", value=len(db.client_backend_pids()),
                                             at_ns=experiment.timeline.now_ns()))
            experiment.hold(1.0)
    after = Window(start_ns=after_ns, end_ns=experiment.timeline.last_ns())
    experiment.check(
        all_succeed(experiment.timeline, window=after, answer=experiment.healthy, label="request"),
        stays_within(experiment.timeline, gauge="db_connections", max_value=pool_max, window=after),
    )
