"""Database contracts: pool errors, restarts, readiness, request timeouts, pool exhaustion, leaks."""

from __future__ import annotations

import pytest

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
    server side, then reset them on the wire; the process must live and serve again. Its extra
    processes ([service.processes], a worker with a pool of its own) must live too."""
    db = experiment.postgres()
    request = experiment.request()
    recover_s = contract.seconds("recover_within_s")
    observe_s = 1.0 + 0.5 + 1.0 + recover_s + 1.0
    with experiment.probes(duration_s=observe_s + 5), experiment.load(request, duration_s=observe_s):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(BackendsTerminated(dependency=db)):
            experiment.hold(0.5)
        with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="reset_peer",
                                         attributes={"timeout": 0}, streams=("upstream",))):
            experiment.hold(1.0)
        heal_ns = experiment.timeline.fault_windows()[-1].end_ns
        experiment.hold(recover_s + 1.0)
    assert heal_ns is not None
    first = experiment.timeline.fault_windows()[0]
    window = Window(start_ns=first.start_ns, end_ns=experiment.timeline.last_ns())
    experiment.check(
        survives(experiment.timeline, window=window),
        *(survives(experiment.timeline, window=window, probe=f"alive:{name}", process=name)
          for name in experiment.env.processes),
        recovers_within(experiment.timeline, heal_ns=heal_ns, within_s=recover_s, label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("db_restart")
def test_db_restart_fails_fast_and_recovers(experiment: Experiment, contract: ContractSpec) -> None:
    """Restart Postgres under load with an outage longer than the pool's connection timeout: errors only
    inside the outage, each returned within the pool timeout, success again soon after it is back."""
    db = experiment.postgres()
    request = experiment.request()
    pool_timeout_s = contract.seconds("pool_timeout_s")
    recover_s = contract.seconds("recover_within_s")
    down_s = hold_for(pool_timeout_s)
    grace_s = recover_s + pool_timeout_s
    # The load and probes are bounded generously; leaving the block stops them. What is observed after
    # the heal is decided by the hold, whatever the restart itself took (a container restart is slower).
    bound_s = 1.0 + down_s + grace_s + 30.0
    with experiment.probes(duration_s=bound_s), \
            experiment.load(request, duration_s=bound_s, timeout_s=down_s + 5):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(DependencyRestarted(dependency=db, down_s=down_s)):
            pass
        experiment.hold(grace_s + 1.5)
    outage = experiment.timeline.fault_window()
    assert outage.end_ns is not None
    experiment.check(
        survives(experiment.timeline, window=outage.shifted(end_s=recover_s)),
        # requests already waiting for a connection when the DB came back may still fail, up to one
        # pool timeout later: that is the pool timeout doing its job, not an error outside the outage
        errors_only_within(experiment.timeline, fault=outage, grace_s=grace_s, label="request"),
        bounded(experiment.timeline, window=outage, budget_s=allowance(pool_timeout_s), label="request"),
        recovers_within(experiment.timeline, heal_ns=outage.end_ns, within_s=recover_s, label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("readiness")
def test_readiness_flips_while_the_db_is_unreachable(experiment: Experiment, contract: ContractSpec) -> None:
    """Liveness stays 200 throughout, readiness answers 503 while the DB is unreachable and 200 after."""
    db = experiment.postgres()
    flip_s = contract.seconds("flip_within_s")
    recover_s = contract.seconds("recover_within_s")
    hold_s = allowance(flip_s) + 1.0
    with experiment.probes(duration_s=1.0 + hold_s + recover_s + 5, interval_s=0.1):
        experiment.steady_state()
        experiment.hold(1.0)
        with experiment.fault(ProxyDisabled(client=experiment.env.proxy, dependency=db)):
            experiment.hold(hold_s)
        experiment.hold(allowance(recover_s) + 0.5)
    experiment.check(ready_flips(experiment.timeline, fault=experiment.timeline.fault_window(),
                                 flip_within_s=allowance(flip_s), recover_within_s=allowance(recover_s)))


@pytest.mark.chaos_contract("request_timeout")
def test_no_request_outlives_the_request_timeout(experiment: Experiment, contract: ContractSpec) -> None:
    """Blackhole the DB (connections open, nothing answers): the global request timeout must cut every
    request, whatever the pool and driver do."""
    db = experiment.postgres()
    request = experiment.request()
    timeout_s = contract.seconds("timeout_s")
    hold_s = hold_for(timeout_s)
    with experiment.load(request, duration_s=1.0 + hold_s, timeout_s=hold_s + 5, rate_per_s=10):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="timeout",
                                         attributes={"timeout": 0}, streams=("upstream", "downstream"))):
            experiment.hold(hold_s)
    window = experiment.timeline.fault_window()
    experiment.check(
        bounded(experiment.timeline, window=window.shifted(end_s=-allowance(timeout_s)),
                budget_s=allowance(timeout_s), label="request"),
    )
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("pool_exhaustion")
def test_pool_exhaustion_fails_fast(experiment: Experiment, contract: ContractSpec) -> None:
    """Slow the DB so every pooled connection is busy, then ask for more: the extra requests get 503
    within the pool timeout instead of queueing without bound."""
    db = experiment.postgres()
    request = experiment.request()
    pool_size = contract.count("pool_size")
    pool_timeout_s = contract.seconds("pool_timeout_s")
    latency_s = contract.count("db_latency_ms") / 1000
    experiment.steady_state([request])
    with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="latency",
                                     attributes={"latency": int(latency_s * 1000)})):
        burst = fire(experiment.base_url, [request] * (pool_size * OVERSUBSCRIPTION), experiment.timeline,
                     timeout_s=hold_for(pool_timeout_s + latency_s))
    window = experiment.timeline.fault_window()
    experiment.check(
        # the burst makes refusals certain for a bounded pool: none means it queued them all
        fails_fast(experiment.timeline, window=window, budget_s=allowance(pool_timeout_s), label="request",
                   expect_failures=True),
        bounded(experiment.timeline, window=window, budget_s=allowance(pool_timeout_s + latency_s),
                label="request"),
        all_answer(experiment.timeline, window=window, statuses={200, 503}, label="request",
                   contract="answers 200 or 503"),
    )
    assert len(burst) == pool_size * OVERSUBSCRIPTION
    experiment.steady_state([request], phase="after")


@pytest.mark.chaos_contract("connection_leak")
def test_validation_errors_do_not_leak_connections(experiment: Experiment, contract: ContractSpec) -> None:
    """Many requests that fail validation, then normal load: the SUT's DB connections stay within the
    pool and normal requests still succeed."""
    db = experiment.postgres()
    bad = experiment.request("bad_request", json_key="bad_json", label="invalid")
    normal = experiment.request(label="request")
    pool_max = contract.count("pool_max_size")
    experiment.steady_state([normal])
    with experiment.fault(InvalidRequests(base_url=experiment.base_url, request=bad,
                                          count=contract.count("bad_count"), timeline=experiment.timeline)):
        pass
    after_ns = experiment.timeline.now_ns()
    with experiment.load(normal, duration_s=3.0, timeout_s=5.0):
        for _ in range(3):
            experiment.timeline.append(Gauge(name="db_connections", value=len(db.client_backend_pids()),
                                             at_ns=experiment.timeline.now_ns()))
            experiment.hold(1.0)
    after = Window(start_ns=after_ns, end_ns=experiment.timeline.last_ns())
    experiment.check(
        all_succeed(experiment.timeline, window=after, label="request"),
        stays_within(experiment.timeline, gauge="db_connections", max_value=pool_max, window=after),
    )

