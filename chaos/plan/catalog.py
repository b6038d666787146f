"""The plan of every experiment in experiments/: its faults, holds, load and what it needs.

Kept next to the experiments' code by a test: the attach-mode catalog run checks that every fault
an experiment's journal recorded is one its plan announced (tests/env/attach/test_catalog.py), and
that every experiment of the catalog has a plan (tests/plan/test_plan.py). The numbers mirror the
experiments' holds: where an experiment holds `hold_for(timeout_s)`, so does its plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from chaos.experiment.timing import allowance, hold_for
from chaos.plan.model import ExperimentPlan, FaultStep, LoadStep, Seconds, Via
from chaos.targetfile.attach import Action

__all__ = ["PLANS"]

_RESTART_SERVICE = (Action.START, Action.RESTART)
_START_DEP = "start {dep} if it does not answer (armed with the watchdog, should the runner die)"
_START_SERVICE = "start the service again (armed with the watchdog, should the runner die)"
_WATCH = ((Action.PID,), (Action.EXIT_CODE,))


def _for(seconds: float) -> Seconds:
    return lambda _contract: seconds


def _toxic(toxic: str, does: str, hold: Seconds | None = None, *, hold_text: str = "") -> FaultStep:
    return FaultStep(fault=f"{toxic}({{dep}})", does=does, via=Via.PROXY, hold=hold, hold_text=hold_text,
                     undo="remove the toxic (leased on `chaos proxy`: it lapses by itself if the runner dies)")


def _upstream(does: str, hold: Seconds | None = None, *, hold_text: str = "") -> FaultStep:
    return FaultStep(fault="upstream({dep})", does=does, via=Via.ADMIN, hold=hold, hold_text=hold_text,
                     undo="reset the fake API's behaviour (hung calls released)")


_PLANS = (
    ExperimentPlan(
        experiment="test_pool_error_does_not_exit_the_process", contract="pool_error_survival",
        watches_service=True,
        load=(LoadStep(request="request"),),
        faults=(
            FaultStep(fault="terminate_backends({dep})", via=Via.ADMIN, hold=_for(0.5),
                      does="pg_terminate_backend on every connection of the service to {dep} (idle ones among "
                           "them), through its admin DSN"),
            _toxic("reset_peer", "reset_peer toxic on {dep}'s proxy (upstream): connections reset", _for(1.0)),
        ),
    ),
    ExperimentPlan(
        experiment="test_db_restart_fails_fast_and_recovers", contract="db_restart", watches_service=True,
        load=(LoadStep(request="request"),),
        faults=(FaultStep(fault="restart({dep})", via=Via.COMMAND, does="stop {dep}, keep it down, start it",
                          hold=lambda c: hold_for(c.seconds("fail_within_s")), hold_text="down for",
                          commands=((Action.STOP,), (Action.START,), (Action.PID,)),
                          undo=_START_DEP),),
    ),
    ExperimentPlan(
        experiment="test_readiness_flips_while_the_db_is_unreachable", contract="readiness",
        load=(LoadStep(request="health", probes_only=True, note="health and ready, every 0.1 s; no other load"),),
        faults=(FaultStep(fault="unreachable({dep})", via=Via.PROXY,
                          does="disable {dep}'s proxy: connections refused, live ones closed",
                          hold=lambda c: allowance(c.seconds("flip_within_s")) + 1.0,
                          undo="enable the proxy (leased on `chaos proxy`)"),),
    ),
    ExperimentPlan(
        experiment="test_no_request_outlives_the_request_timeout", contract="request_timeout",
        load=(LoadStep(request="request", rate_per_s=10),),
        faults=(_toxic("timeout", "timeout toxic on {dep}'s proxy, both streams: nothing answers",
                       lambda c: hold_for(c.seconds("timeout_s"))),),
    ),
    ExperimentPlan(
        experiment="test_pool_exhaustion_fails_fast", contract="pool_exhaustion",
        load=(LoadStep(request="request", count=lambda c: 4 * c.count("pool_size"), at_once=True),),
        faults=(_toxic("latency", "latency toxic on {dep}'s proxy: db_latency_ms per round trip",
                       hold_text="until the burst is answered"),),
    ),
    ExperimentPlan(
        experiment="test_validation_errors_do_not_leak_connections", contract="connection_leak",
        counts_connections=True,
        load=(LoadStep(request="request", note="for about 3 s after the bad requests; {dep}'s connections "
                                               "counted each second through its admin DSN"),),
        faults=(FaultStep(fault="invalid_requests(invalid)", via=Via.REQUESTS,
                          does="bad_count requests of bad_request to the service, one after another",
                          commands=()),),
    ),
    ExperimentPlan(
        experiment="test_cache_falls_back_when_redis_dies", contract="cache_fallback",
        load=(LoadStep(request="request"),),
        faults=(FaultStep(fault="kill({dep}, SIGKILL)", via=Via.COMMAND, does="kill {dep} (SIGKILL): it stays down",
                          hold=_for(2.0), commands=((Action.KILL, Action.SIGNAL), (Action.START,)),
                          signal="KILL", undo=_START_DEP),),
    ),
    ExperimentPlan(
        experiment="test_cache_falls_back_when_redis_is_blackholed", contract="cache_fallback",
        load=(LoadStep(request="request"),),
        faults=(_toxic("timeout", "timeout toxic on {dep}'s proxy, both streams: commands never answer", _for(2.0)),),
    ),
    ExperimentPlan(
        experiment="test_slow_external_api_is_cut_off_by_the_timeout", contract="external_timeout",
        load=(LoadStep(request="request", rate_per_s=10),),
        faults=(_upstream("{dep} answers, slower than the service's timeout_s",
                          lambda c: hold_for(c.seconds("timeout_s"))),),
    ),
    ExperimentPlan(
        experiment="test_hung_external_api_is_cut_off_by_the_timeout", contract="external_timeout",
        load=(LoadStep(request="request", rate_per_s=10),),
        faults=(_upstream("{dep} accepts calls and never answers", lambda c: hold_for(c.seconds("timeout_s"))),),
    ),
    ExperimentPlan(
        experiment="test_circuit_breaker_opens_and_probes", contract="circuit_breaker",
        load=(LoadStep(request="request", rate_per_s=20),),
        faults=(_upstream("{dep} answers 503", lambda c: 2.5 * c.seconds("reset_timeout_s") + 1.0),),
    ),
    ExperimentPlan(
        experiment="test_retries_back_off_and_honour_retry_after", contract="retry_backoff",
        load=(LoadStep(request="request", count=lambda _c: 2, note="one after another"),),
        faults=(_upstream("{dep} answers 429 with Retry-After: retry_after_s", hold_text="until both are answered"),),
    ),
    ExperimentPlan(
        experiment="test_one_booking_wins_under_concurrency", contract="booking_race",
        load=(LoadStep(request="request", count=lambda c: 4 * c.count("concurrency"), at_once=True,
                       note="in 4 rounds of `concurrency` at once"),),
        faults=(_toxic("latency", "latency toxic on {dep}'s proxy: db_latency_ms per round trip",
                       hold_text="until the 4 rounds are answered"),),
    ),
    ExperimentPlan(
        experiment="test_sigterm_drains_in_flight_requests", contract="graceful_drain",
        load=(LoadStep(request="slow_request", count=lambda _c: 3, model="closed", note="3 in flight at the signal"),
              LoadStep(request="health", rate_per_s=20, note="new connections while it drains")),
        faults=(FaultStep(fault="signal(sut, SIGTERM)", via=Via.COMMAND, on_service=True, signal="TERM",
                          does="SIGTERM to the service; its exit watched (up to shutdown_grace_s + 1 s)",
                          commands=((Action.SIGNAL,), *_WATCH, _RESTART_SERVICE),
                          undo=_START_SERVICE),),
    ),
    ExperimentPlan(
        experiment="test_login_lockout_survives_a_crash", contract="restart_persistence",
        load=(LoadStep(request="request", count=lambda c: c.count("max_attempts") + 2,
                       note="failed logins one after another, then the same login before and after the crash"),),
        faults=(FaultStep(fault="signal(sut, SIGKILL)", via=Via.COMMAND, on_service=True, signal="KILL",
                          does="SIGKILL to the service (a crash); its exit watched (up to 5 s)",
                          commands=((Action.KILL, Action.SIGNAL), *_WATCH, _RESTART_SERVICE),
                          undo=_START_SERVICE),),
    ),
)

PLANS: Final[Mapping[str, ExperimentPlan]] = MappingProxyType({p.experiment: p for p in _PLANS})
"""Every catalog experiment's plan, by its test function's name."""
