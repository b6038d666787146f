"""Key figures: the few numbers of a verdict a reader looks for first (p99 in the fault, recovery, drain).

A combined verdict's figures are named "<check>.<figure>" (`bounded.p99_s`, `drains.exit.drain_s`,
`ready_flips.recovery.recovery_s`); the rules below pick figures by their last segment, in order
of interest, each with the budget it is judged against when the same check reports one. The
scorecard, the HTML overview and the JUnit properties all use this one choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["KeyFigure", "format_figure", "format_seconds", "key_figure_names", "key_figures"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rule:
    figure: str                  # last segment of the figure name
    label: str                   # what the scorecard calls it
    limits: tuple[str, ...] = () # sibling figures holding its budget, first found wins
    seconds: bool = True
    needs_limit: bool = False    # only a key figure next to its budget (a bare "calls" says little)


_RULES: Final = (
    _Rule(figure="not_sent", label="not sent", seconds=False),   # only there when some were
    _Rule(figure="p99_s", label="p99", limits=("budget_s",)),
    _Rule(figure="drain_s", label="drain", limits=("grace_s",)),
    _Rule(figure="flip_s", label="ready flip", limits=("flip_within_s",)),
    _Rule(figure="recovery_s", label="recovery", limits=("within_s", "recover_within_s")),
    _Rule(figure="max_failure_s", label="slowest failure", limits=("budget_s",)),
    _Rule(figure="max_latency_s", label="max latency"),
    _Rule(figure="max_attempts_seen", label="attempts", limits=("max_attempts",), seconds=False),
    _Rule(figure="min_gap_s_seen", label="min retry gap"),
    _Rule(figure="calls", label="upstream calls", limits=("max_calls",), seconds=False, needs_limit=True),
    _Rule(figure="min_gap_s", label="probe gap"),
    _Rule(figure="max_seen", label="max seen", limits=("max_value",), seconds=False),
    _Rule(figure="winners", label="winners", seconds=False),
)

MAX_KEY_FIGURES: Final = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFigure:
    """One figure worth showing: its full name, a label, its value and the budget it had (if any)."""

    name: str
    label: str
    value: float
    limit: float | None = None
    limit_name: str | None = None
    seconds: bool = True

    def text(self) -> str:
        """ "p99 17 ms (budget 1.5 s)", "attempts 3 (max 3)"."""
        shown = format_figure(self.value, seconds=self.seconds)
        if self.limit is None:
            return f"{self.label} {shown}"
        word = "budget" if self.seconds else "max"
        return f"{self.label} {shown} ({word} {format_figure(self.limit, seconds=self.seconds)})"


def key_figures(figures: Mapping[str, float], *, limit: int = MAX_KEY_FIGURES) -> tuple[KeyFigure, ...]:
    """The `limit` most telling figures of a verdict, in the order of the rules (then of the names)."""
    found: list[KeyFigure] = []
    for rule in _RULES:
        for name in sorted(figures):
            prefix, _, last = name.rpartition(".")
            if last != rule.figure:
                continue
            siblings = [f"{prefix}.{lim}" if prefix else lim for lim in rule.limits]
            limit_name = next((s for s in siblings if s in figures), None)
            if rule.needs_limit and limit_name is None:
                continue
            found.append(KeyFigure(
                name=name, label=rule.label, value=figures[name],
                limit=None if limit_name is None else figures[limit_name], limit_name=limit_name,
                seconds=rule.seconds,
            ))
            if len(found) >= limit:
                return tuple(found)
    return tuple(found)


def key_figure_names(figures: Mapping[str, float], *, limit: int = MAX_KEY_FIGURES) -> tuple[str, ...]:
    """The names `key_figures` reads (each figure and its budget): what to keep so the choice survives."""
    names: list[str] = []
    for figure in key_figures(figures, limit=limit):
        names.append(figure.name)
        if figure.limit_name is not None:
            names.append(figure.limit_name)
    return tuple(names)


def format_seconds(seconds: float) -> str:
    """A duration for people: "850 us", "17 ms", "1.25 s", "2 min 5 s"."""
    magnitude = abs(seconds)
    if magnitude == 0:
        return "0 s"
    if magnitude < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if magnitude < 1:
        return f"{seconds * 1e3:.3g} ms"
    if magnitude < 120:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:.0f} min {rest:.0f} s"


def format_figure(value: float, *, seconds: bool) -> str:
    if seconds:
        return format_seconds(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"
