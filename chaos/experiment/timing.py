"""How much slower than a declared budget an observation may be before it counts against the SUT.

Timing contracts compare measured latencies with the budgets the target file declares (a pool
timeout, a request timeout, an external-call timeout). The measurement adds its own delay: the
SUT's timers fire late under load, the client's event loop schedules late, the GIL is shared with
the load generator. The margin is therefore proportional to the budget (timers drift with their
length) with a floor for the fixed scheduling cost, and the defects it must still catch are far
outside it: a missing timeout waits for the whole fault (at least `FAULT_HOLD_FACTOR` budgets).
"""

from __future__ import annotations

__all__ = ["FAULT_HOLD_FACTOR", "RELATIVE_MARGIN", "SCHEDULING_FLOOR_S", "allowance", "hold_for"]

RELATIVE_MARGIN = 0.5
"""A budget may be overrun by half of itself. The repeatability script (`bench/repeatability.py`)
is what keeps this honest: it counts false alarms on the healthy service and misses on each defect
over repeated runs of the catalog under `-n 2`."""

SCHEDULING_FLOOR_S = 0.25
"""The smallest margin: a sub-second budget still gets a quarter second for scheduling."""

FAULT_HOLD_FACTOR = 2.5
"""A fault that a timeout must cut short is held this many budgets, so a missing timeout shows as a
wait of 2.5 budgets, beyond the 1.5-budget allowance."""


def allowance(budget_s: float) -> float:
    """The longest observation that still honours `budget_s`."""
    return budget_s + max(budget_s * RELATIVE_MARGIN, SCHEDULING_FLOOR_S)


def hold_for(budget_s: float, *, at_least_s: float = 1.0) -> float:
    """How long to keep a fault in place so that a budget of `budget_s` is unmistakably exceeded
    when the SUT does not enforce it."""
    return max(budget_s * FAULT_HOLD_FACTOR, allowance(budget_s) + 1.0, at_least_s)
