"""How much slower than a declared budget an observation may be, and how long a fault is held.

Timing contracts compare measured latencies with the budgets the target file declares (a pool
timeout, a request timeout, an external-call timeout). The measurement adds its own delay: the
SUT's timers fire late under load, the client's event loop schedules late, the GIL is shared with
the load generator. The rule (docs/timing.md has the derivation):

    margin(b)    = max(0.25 s, min(0.5 b, 1 s + 0.1 b))
    allowance(b) = b + margin(b)                      the longest observation that honours b
    hold_for(b)  = allowance(b) + max(1 s, margin(b))  how long a fault a timeout must cut is held

Short budgets drift by a large share of themselves (a 0.2 s Redis timeout can fire 0.2 s late on a
busy machine), so they get half of themselves, at least a quarter second; long budgets drift by
scheduling plus a small share (a 120 s timeout is not 60 s late), so above 2.5 s the margin grows
by a tenth. A fault is held one more margin (at least 1 s) past the allowance: a request that the
timeout cut ends by the allowance, one that only the heal ended outlasts it by that much, so
"cut by the timeout" and "ended by the heal" cannot be confused. A 1 s budget is held 2.5 s; a
120 s one 146 s, not 300 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaos.targetfile import ContractSpec, Target

__all__ = [
    "LONG_BUDGET_BASE_S",
    "LONG_BUDGET_SHARE",
    "OBSERVATION_FLOOR_S",
    "RELATIVE_MARGIN",
    "SCHEDULING_FLOOR_S",
    "SEPARATION_S",
    "allowance",
    "hold_for",
    "margin",
    "observation_limit",
]

RELATIVE_MARGIN = 0.5
"""A short budget may be overrun by half of itself. The repeatability script
(`bench/repeatability.py`) keeps this honest: it counts false alarms on the healthy service and
misses on each defect over repeated runs of the catalog under `-n 2`."""

SCHEDULING_FLOOR_S = 0.25
"""The smallest margin: a sub-second budget still gets a quarter second for scheduling."""

LONG_BUDGET_BASE_S = 1.0
LONG_BUDGET_SHARE = 0.1
"""A long budget's margin: one second of scheduling plus a tenth of the budget (timer drift)."""

SEPARATION_S = 1.0
"""The least time by which a fault outlasts the allowance, so a missing timeout is unmistakable."""

OBSERVATION_FLOOR_S = 60.0
"""The least overall bound of an experiment's load and probes (see `observation_limit`)."""


def margin(budget_s: float) -> float:
    """How far an observation may overrun `budget_s` and still honour it."""
    return max(SCHEDULING_FLOOR_S, min(budget_s * RELATIVE_MARGIN, LONG_BUDGET_BASE_S + LONG_BUDGET_SHARE * budget_s))


def allowance(budget_s: float) -> float:
    """The longest observation that still honours `budget_s`."""
    return budget_s + margin(budget_s)


def hold_for(budget_s: float, *, at_least_s: float = 1.0) -> float:
    """How long to keep a fault in place so that a budget of `budget_s` is unmistakably exceeded
    when the SUT does not enforce it."""
    return max(allowance(budget_s) + max(SEPARATION_S, margin(budget_s)), at_least_s)


def observation_limit(target: Target, contract: ContractSpec | None) -> float:
    """The overall bound of one experiment's load and probes: they run until the experiment ends its
    observation (its holds decide what is seen after the heal), and never longer than this, which
    four holds of the longest declared duration (and the shutdown grace) cannot exceed."""
    service = target.service
    durations = [service.shutdown_grace_s, service.healthy_within_s]
    if contract is not None:
        durations += [float(v) for k, v in contract.params.items()
                      if k.endswith("_s") and isinstance(v, int | float) and not isinstance(v, bool)]
    return OBSERVATION_FLOOR_S + 4 * hold_for(max(durations))
