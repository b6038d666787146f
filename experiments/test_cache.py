"""Cache contracts: without Redis the cached endpoints are served from the DB, in time, and the cache
is used again once Redis is back."""

from __future__ import annotations

import pytest

from chaos.answers import AllOf
from chaos.contracts import all_succeed, bounded, recovers_within, skipped
from chaos.experiment import Experiment
from chaos.experiment.timing import allowance
from chaos.faults import DependencyKilled, Fault, ToxicFault
from chaos.targetfile import ContractSpec

HOLD_S = 2.0


def _run(experiment: Experiment, contract: ContractSpec, fault: Fault) -> None:
    request = experiment.request(for_load=True)
    budget_s = contract.seconds("latency_budget_s")
    recover_s = contract.seconds("recover_within_s")
    recovery_budget_s = allowance(recover_s)
    healthy = experiment.healthy
    cached = experiment.optional_answer("cached")
    with experiment.load(request, timeout_s=10.0):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(fault):
            experiment.hold(HOLD_S)
        experiment.hold(recovery_budget_s + 1.5)   # past the recovery budget: it must have held by then
    window = experiment.timeline.fault_window()
    assert window.end_ns is not None
    experiment.check(
        all_succeed(experiment.timeline, window=window, answer=healthy, label="request"),
        bounded(experiment.timeline, window=window, budget_s=allowance(budget_s), declared_s=budget_s,
                label="request"),
        recovers_within(experiment.timeline, heal_ns=window.end_ns, within_s=recovery_budget_s, answer=healthy,
                        label="request"),
        # the cache is used again: a cached answer soon after the heal (later misses and fallbacks on
        # pooled connections that went stale with the old Redis are healthy, not a relapse)
        skipped("cache used again", "the target declares no cached answer ([answers].cached), so whether "
                                    "the cache is used again after the heal cannot be seen")
        if cached is None else
        recovers_within(experiment.timeline, heal_ns=window.end_ns, within_s=recovery_budget_s,
                        answer=AllOf(parts=(healthy, cached)), label="request", sustained=False,
                        contract="cache used again"),
    )


@pytest.mark.chaos_contract("cache_fallback")
def test_cache_falls_back_when_redis_dies(experiment: Experiment, contract: ContractSpec) -> None:
    """Redis killed (SIGKILL): connections refused; the cached endpoint is served from the DB."""
    _run(experiment, contract, DependencyKilled(dependency=experiment.redis()))


@pytest.mark.chaos_contract("cache_fallback")
def test_cache_falls_back_when_redis_is_blackholed(experiment: Experiment, contract: ContractSpec) -> None:
    """Redis blackholed (timeout toxic both ways): commands never answer; the Redis command timeout
    must cut them short and the endpoint be served from the DB within the latency budget."""
    redis = experiment.redis()
    _run(experiment, contract, ToxicFault(client=experiment.env.proxy, dependency=redis, toxic_type="timeout",
                                          attributes={"timeout": 0}, streams=("upstream", "downstream")))
