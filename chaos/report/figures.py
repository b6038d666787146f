"""Key figures: the few numbers of a verdict a reader looks for first (p99 in the fault, recovery, drain).

A combined verdict's figures are named "<check>.<figure>" (`bounded.p99_s`, `drains.exit.drain_s`,
`ready_flips.recovery.recovery_s`; `verdict_figures` numbers checks that share a name: the second
`exactly_one_winner` of a verdict is `exactly_one_winner#2`); the rules below pick figures by their
last segment, in order of interest, each with the budget it is judged against when the same check
reports one, and the declared budget that allowance came from when the check reports that too
(`declared_s` beside `budget_s`, `declared_<limit>` beside any other limit). The scorecard, the
HTML overview and the JUnit properties all use this one choice.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from chaos.contracts import Verdict
from chaos.report.journal import MarginRule

__all__ = [
    "KeyFigure",
    "allowance_text",
    "declared_name",
    "format_figure",
    "format_seconds",
    "key_figure_names",
    "key_figures",
    "recovery_phrase",
    "verdict_figures",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rule:
    figure: str                  # last segment of the figure name
    label: str                   # what the scorecard calls it
    limits: tuple[str, ...] = () # sibling figures holding its budget, first found wins
    seconds: bool = True
    needs_limit: bool = False    # only a key figure next to its budget (a bare "calls" says little)
    per_check: bool = False      # one key figure for all the checks that report it (one per race)


_RULES: Final = (
    _Rule(figure="not_sent", label="not sent", seconds=False),   # only there when some were
    _Rule(figure="p99_s", label="p99", limits=("budget_s",)),
    _Rule(figure="drain_s", label="drain", limits=("grace_s",)),
    _Rule(figure="flip_s", label="ready flip", limits=("flip_within_s",)),
    _Rule(figure="recovery_s", label="recovery", limits=("within_s", "recover_within_s")),
    _Rule(figure="max_failure_s", label="slowest failure", limits=("budget_s",)),
    _Rule(figure="winners", label="winners", seconds=False, per_check=True),
    _Rule(figure="max_latency_s", label="max latency"),
    _Rule(figure="max_attempts_seen", label="attempts", limits=("max_attempts",), seconds=False),
    _Rule(figure="min_gap_s_seen", label="min retry gap"),
    _Rule(figure="calls", label="upstream calls", limits=("max_calls",), seconds=False, needs_limit=True),
    _Rule(figure="min_gap_s", label="probe gap"),
    _Rule(figure="max_seen", label="max seen", limits=("max_value",), seconds=False),
)

MAX_KEY_FIGURES: Final = 3

_SUBJECTS: Final = {"recovers_within": "requests", "recovery": "readiness"}
"""What a recovery check saw come back, by the check's name (`ready_flips`'s part is "recovery")."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFigure:
    """One figure worth showing: its full name, a label, its value, the budget it had (if any) and
    the declared budget that one was allowed from (if the check says). A per-check figure (race
    winners) holds every check's value in `values`, in the verdict's order."""

    name: str
    label: str
    value: float
    limit: float | None = None
    limit_name: str | None = None
    declared: float | None = None
    declared_name: str | None = None
    seconds: bool = True
    values: tuple[float, ...] = ()
    names: tuple[str, ...] = ()
    margin_rule: MarginRule | None = None

    def text(self) -> str:
        """ "p99 17 ms (budget 1.5 s)", "p99 17 ms (declared 1 s, allowed 1.5 s; margin +50 %, at least
        0.25 s)", "requests recovered 400 ms after the heal (bound 5 s)", "cache used again 19 ms after
        the heal (bound 7.5 s)", "attempts 3 (max 3)",
        "winners 1 in each of 4 races", "winners per race 1, 2, 1, 1"."""
        if len(self.values) > 1:
            each = [format_figure(v, seconds=self.seconds) for v in self.values]
            if len(set(each)) == 1:
                return f"{self.label} {each[0]} in each of {len(each)} races"
            return f"{self.label} per race {', '.join(each)}"
        shown = format_figure(self.value, seconds=self.seconds)
        if self.label == "recovery":
            head = f"{recovery_phrase(self.check)} {shown} after the heal"
        else:
            head = f"{self.label} {shown}"
        if self.limit is None:
            return head
        if not self.seconds:
            return f"{head} (max {format_figure(self.limit, seconds=False)})"
        word = "bound" if self.label == "recovery" else "budget"
        return f"{head} ({allowance_text(self.limit, self.declared, self.margin_rule, word=word)})"

    @property
    def check(self) -> str:
        """The check that reported it: the name's prefix ("" for a verdict of one check)."""
        return self.name.rpartition(".")[0]


def allowance_text(allowed: float, declared: float | None, rule: MarginRule | None, *, word: str = "budget") -> str:
    """ "budget 1.5 s", or where the allowance came from a declared budget: "declared 1 s, allowed 1.5 s;
    margin +50 %, at least 0.25 s" (the rule only when the journal recorded it)."""
    if declared is None:
        return f"{word} {format_seconds(allowed)}"
    text = f"declared {format_seconds(declared)}, allowed {format_seconds(allowed)}"
    return f"{text}; {rule.text()}" if rule is not None else text


def declared_name(limit_name: str) -> str:
    """Where a check puts the declared budget its limit was allowed from: `declared_s` beside
    `budget_s`, `declared_<limit>` beside any other (`declared_within_s`)."""
    prefix, _, last = limit_name.rpartition(".")
    declared = "declared_s" if last == "budget_s" else f"declared_{last}"
    return f"{prefix}.{declared}" if prefix else declared


def recovery_phrase(check: str) -> str:
    """What a recovery check saw come back, as the start of a sentence: "requests recovered",
    "readiness recovered", or a check named for what it waits for as it is ("cache used again")."""
    last = check.rpartition(".")[2]
    if not last:
        return "the service recovered"
    subject = _SUBJECTS.get(last)
    return f"{subject} recovered" if subject is not None else last


def verdict_figures(verdict: Verdict) -> dict[str, float]:
    """A verdict's figures, "<check>.<figure>", with one name per check.

    `combine` names a part's figures after the part's contract, so several checks of one kind (the
    rounds of a race, each an `exactly_one_winner`) would overwrite each other; here the second is
    `exactly_one_winner#2`, the third `#3`. The order is the verdict's."""
    if not verdict.parts:
        return dict(verdict.figures)
    seen: Counter[str] = Counter()
    figures: dict[str, float] = {}
    for part in verdict.parts:
        seen[part.contract] += 1
        prefix = part.contract if seen[part.contract] == 1 else f"{part.contract}#{seen[part.contract]}"
        figures.update((f"{prefix}.{name}", value) for name, value in part.figures.items())
    return figures


def key_figures(figures: Mapping[str, float], *, limit: int = MAX_KEY_FIGURES,
                margin_rule: MarginRule | None = None) -> tuple[KeyFigure, ...]:
    """The `limit` most telling figures of a verdict, in the order of the rules (then of the names;
    a per-check figure in the order given)."""
    found: list[KeyFigure] = []
    for rule in _RULES:
        matches = [name for name in (figures if rule.per_check else sorted(figures))
                   if name.rpartition(".")[2] == rule.figure]
        if rule.per_check and len(matches) > 1:
            found.append(KeyFigure(name=matches[0], label=rule.label, value=figures[matches[0]],
                                   seconds=rule.seconds, values=tuple(figures[n] for n in matches),
                                   names=tuple(matches)))
            matches = []
        for name in _one_per_kind(matches, figures):
            prefix = name.rpartition(".")[0]
            siblings = [f"{prefix}.{lim}" if prefix else lim for lim in rule.limits]
            limit_name = next((s for s in siblings if s in figures), None)
            if rule.needs_limit and limit_name is None:
                continue
            declared = None if limit_name is None else declared_name(limit_name)
            if declared is not None and declared not in figures:
                declared = None
            found.append(KeyFigure(
                name=name, label=rule.label, value=figures[name],
                limit=None if limit_name is None else figures[limit_name], limit_name=limit_name,
                declared=None if declared is None else figures[declared], declared_name=declared,
                seconds=rule.seconds, margin_rule=margin_rule,
            ))
            if len(found) >= limit:
                return tuple(found)
        if len(found) >= limit:
            return tuple(found[:limit])
    return tuple(found)


def _one_per_kind(names: list[str], figures: Mapping[str, float]) -> list[str]:
    """Of the checks of one kind (`bounded`, `bounded#2`, ...), the one with the largest figure: four
    rounds of a race make one "max latency", the slowest."""
    best: dict[str, str] = {}
    for name in names:
        kind = re.sub(r"#\d+(?=\.|$)", "", name.rpartition(".")[0])
        if kind not in best or figures[name] > figures[best[kind]]:
            best[kind] = name
    return [name for name in names if name in best.values()]


def key_figure_names(figures: Mapping[str, float], *, limit: int = MAX_KEY_FIGURES) -> tuple[str, ...]:
    """The names `key_figures` reads (each figure, its budget and declared budget): what to keep so the
    choice survives."""
    names: list[str] = []
    for figure in key_figures(figures, limit=limit):
        names.extend(figure.names or (figure.name,))
        names.extend(n for n in (figure.limit_name, figure.declared_name) if n is not None)
    return tuple(names)


def format_seconds(seconds: float) -> str:
    """A duration for people: "850 us", "17 ms", "1.25 s", "2 min 5 s", "5 min 0 s", "1 h 0 min 3 s".

    Three significant figures below two minutes, whole seconds from there on. The unit is chosen
    after rounding, so a value that rounds up moves to the next unit ("1 s", not "1e+03 ms"; "5 min
    0 s", not "4 min 60 s").
    """
    if not math.isfinite(seconds):
        return f"{seconds} s"
    sign = "-" if seconds < 0 else ""
    magnitude = abs(seconds)
    if magnitude < 0.5e-9:
        return "0 s"
    for scale, unit, below in _SUBMINUTE_UNITS:
        shown = f"{magnitude / scale:.3g}"
        if float(shown) < below:
            return f"{sign}{shown} {unit}"
    hours, rest = divmod(round(magnitude), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes} min {secs} s"
    return f"{sign}{minutes} min {secs} s"


_SUBMINUTE_UNITS: Final = ((1e-9, "ns", 1000), (1e-6, "us", 1000), (1e-3, "ms", 1000), (1.0, "s", 120))
"""(scale, unit, used while the rounded value is below): three significant figures, never an exponent."""


def format_figure(value: float, *, seconds: bool) -> str:
    if seconds:
        return format_seconds(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"
