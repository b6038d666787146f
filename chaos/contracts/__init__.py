"""Contracts: pure checks over a timeline, each returning a three-valued `Verdict`.

A checker is a function `(timeline, *, window / fault / marks, budgets in seconds, label) -> Verdict`
with no I/O and no sleeping, so it can be unit-tested on a hand-built history and re-run on a
stored one (`chaos.observe.timeline_from_data`), as Jepsen checkers are. Status is PASSED,
FAILED or INCONCLUSIVE: no evidence at all (an empty window, a fault that did not bite) is
INCONCLUSIVE, never PASSED. `combine` ranks FAILED > INCONCLUSIVE > PASSED; `check_safe`
turns a crashing checker into INCONCLUSIVE with its traceback in `Verdict.error`.

Windows are `chaos.observe.Window` values (or `(start_ns, end_ns)` pairs): a fault's
`timeline.fault_window(name)` runs from injection to heal. Requests are selected by the
instant they *started*. Every verdict's summary names the window and the budget, its evidence
lists the first offenders with offsets from the timeline's anchor, and `figures` carries the
key numbers (p99 during the fault, drain time, error counts) for scorecards.

    survives              no exit and every process-alive probe ok in a window
    all_answer / all_succeed / falls_back   every request answered like an answer spec (chaos.answers)
    bounded               max / pXX latency within a budget (timeouts are over budget)
    fails_fast            every failure (an answer that is not healthy) returned within a budget
    errors_only_within    failures only during [fault start, heal + grace]
    recovers_within       success within N s of the heal, and from then on
    ready_flips           liveness up throughout; readiness 503 during the fault, 200 after
    drains                SIGTERM: in-flight done, not ready, new connections turned away, exit 0 in time
    exactly_one_winner    one winner status, the rest the loser status, no other outcome
    calls_bounded / calls_spaced   upstream calls while a breaker is open
    retries_back_off      bounded attempts per request, gaps >= Retry-After and growing
    stays_within          a sampled gauge (DB connections) never over a limit
"""

from chaos.contracts.answers import all_answer, all_succeed, falls_back
from chaos.contracts.bounded import bounded
from chaos.contracts.conditions import (
    CANCELLED,
    HUNG_ERRORS,
    TIMEOUT_ERRORS,
    is_failure,
    is_indeterminate,
    is_refusal,
    is_timeout,
)
from chaos.contracts.drains import drains
from chaos.contracts.errors_only_within import errors_only_within
from chaos.contracts.exactly_one_winner import exactly_one_winner
from chaos.contracts.fails_fast import fails_fast
from chaos.contracts.ready_flips import ready_flips
from chaos.contracts.recovers_within import recovers_within
from chaos.contracts.retries import retries_back_off
from chaos.contracts.stays_within import stays_within
from chaos.contracts.survives import survives
from chaos.contracts.upstream_calls import calls_bounded, calls_spaced, upstream_calls
from chaos.contracts.verdict import Status, Verdict, check_safe, combine, skipped, verdict_to_data

__all__ = [
    "CANCELLED",
    "HUNG_ERRORS",
    "TIMEOUT_ERRORS",
    "Status",
    "Verdict",
    "all_answer",
    "all_succeed",
    "bounded",
    "calls_bounded",
    "calls_spaced",
    "check_safe",
    "combine",
    "drains",
    "errors_only_within",
    "exactly_one_winner",
    "fails_fast",
    "falls_back",
    "is_failure",
    "is_indeterminate",
    "is_refusal",
    "is_timeout",
    "ready_flips",
    "recovers_within",
    "retries_back_off",
    "skipped",
    "stays_within",
    "survives",
    "upstream_calls",
    "verdict_to_data",
]
