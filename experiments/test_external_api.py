"""External API contracts: calls bounded by a timeout, a circuit breaker, retries with backoff."""

from __future__ import annotations

import pytest

from chaos.answers import AllOf, Not
from chaos.contracts import (
    bounded,
    calls_bounded,
    calls_spaced,
    falls_back,
    recovers_within,
    retries_back_off,
)
from chaos.experiment import Experiment
from chaos.experiment.timing import allowance, hold_for
from chaos.faults import UpstreamMisbehaves
from chaos.observe import fire
from chaos.targetfile import ContractSpec
from chaos.upstream.control import Behaviour

SEQUENTIAL_REQUESTS = 2
LOAD_RATE_PER_S = 20
CALLS_IN_FLIGHT = 8
"""Upstream calls that may already be on their way when the breaker reaches its threshold (they were
let through before it opened). The failing upstream answers at once, so a few at this rate; the
load itself is not capped (open model): a slow service holds many requests in flight, most of them
before their upstream call."""


def _fallback(experiment: Experiment) -> AllOf:
    """A degraded answer, as the target says those look: served (healthy) and flagged degraded."""
    return AllOf(parts=(experiment.healthy, experiment.answer("degraded")))


def _bounded_external_call(experiment: Experiment, contract: ContractSpec, behaviour: Behaviour) -> None:
    upstream = experiment.upstream()
    request = experiment.request(for_load=True)
    timeout_s = contract.seconds("timeout_s")
    hold_s = hold_for(timeout_s)
    with experiment.load(request, timeout_s=hold_s + 5, rate_per_s=10):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(UpstreamMisbehaves(dependency=upstream, behaviour=behaviour)):
            experiment.hold(hold_s)
    window = experiment.timeline.fault_window()
    experiment.check(
        bounded(experiment.timeline, window=window, budget_s=allowance(timeout_s), declared_s=timeout_s,
                label="request"),
        falls_back(experiment.timeline, window=window, answer=_fallback(experiment), label="request"),
    )


@pytest.mark.chaos_contract("external_timeout")
def test_slow_external_api_is_cut_off_by_the_timeout(experiment: Experiment, contract: ContractSpec) -> None:
    """The external API answers, but slower than the SUT's timeout: the SUT answers within its timeout
    with a degraded response instead of waiting."""
    slow_ms = int(hold_for(contract.seconds("timeout_s")) * 1000)
    _bounded_external_call(experiment, contract, Behaviour(latency_ms=slow_ms))


@pytest.mark.chaos_contract("external_timeout")
def test_hung_external_api_is_cut_off_by_the_timeout(experiment: Experiment, contract: ContractSpec) -> None:
    """The external API accepts and never answers."""
    _bounded_external_call(experiment, contract, Behaviour(hang=True))


@pytest.mark.chaos_contract("circuit_breaker")
def test_circuit_breaker_opens_and_probes(experiment: Experiment, contract: ContractSpec) -> None:
    """The external API fails with 5xx: after the threshold, calls stop reaching it (only half-open
    probes, about one per reset timeout), responses degrade fast, and the breaker closes after the
    upstream recovers."""
    upstream = experiment.upstream()
    request = experiment.request(for_load=True)
    threshold = contract.count("failure_threshold")
    reset_s = contract.seconds("reset_timeout_s")
    hold_s = 2.5 * reset_s + 1.0
    recover_s = allowance(reset_s) + 1.0
    with experiment.load(request, rate_per_s=LOAD_RATE_PER_S, timeout_s=5.0):
        experiment.steady_state([request])
        experiment.hold(1.0)
        with experiment.fault(UpstreamMisbehaves(dependency=upstream, behaviour=Behaviour(status=503))):
            experiment.hold(hold_s)
            experiment.record_upstream_calls()
        experiment.hold(recover_s + 1.0)
    window = experiment.timeline.fault_window()
    assert window.end_ns is not None
    # Calls allowed under the fault: the threshold, calls already on their way when it was reached
    # (CALLS_IN_FLIGHT - 1), and one half-open probe per reset timeout.
    probes = int(hold_s / reset_s) + 1
    opened = window.shifted(start_s=allowance(threshold / LOAD_RATE_PER_S))
    experiment.check(
        calls_bounded(experiment.timeline, window=window, max_calls=threshold + CALLS_IN_FLIGHT - 1 + probes,
                      upstream=upstream.name),
        # once open, only half-open probes get through, about one per reset timeout
        # (the first call after opening is a probe; every later one must wait a reset timeout)
        calls_spaced(experiment.timeline, window=opened, min_gap_s=reset_s * 0.9, max_gap_s=allowance(reset_s),
                     max_leading_calls=1, upstream=upstream.name),
        falls_back(experiment.timeline, window=window, answer=_fallback(experiment), label="request"),
        recovers_within(experiment.timeline, heal_ns=window.end_ns, within_s=recover_s, label="request",
                        answer=AllOf(parts=(experiment.healthy, Not(part=experiment.answer("degraded"))))),
    )


@pytest.mark.chaos_contract("retry_backoff")
def test_retries_back_off_and_honour_retry_after(experiment: Experiment, contract: ContractSpec) -> None:
    """The external API answers 429 with Retry-After: each SUT request makes a bounded number of
    attempts, spaced at least Retry-After apart, with gaps that do not shrink."""
    upstream = experiment.upstream()
    request = experiment.request()
    max_attempts = contract.count("max_attempts")
    retry_after_s = contract.seconds("retry_after_s")
    experiment.steady_state([request])
    behaviour = Behaviour(status=429, retry_after_s=retry_after_s)
    with experiment.fault(UpstreamMisbehaves(dependency=upstream, behaviour=behaviour)):
        for _ in range(SEQUENTIAL_REQUESTS):   # one at a time: each upstream call belongs to one request
            fire(experiment.base_url, [request], experiment.timeline,
                 timeout_s=max_attempts * hold_for(retry_after_s) + 5)
        experiment.record_upstream_calls()
    experiment.check(retries_back_off(experiment.timeline, label="request", max_attempts=max_attempts,
                                      min_gap_s=retry_after_s, upstream=upstream.name))
