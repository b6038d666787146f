"""The judgement drawn over the timeline: budget lines, the requests over them, recoveries, race winners.

A reader should see on the plot what the verdict decided, not only the data it decided on:

- each latency budget a check judged is a dashed line at the allowed value across the window it
  judged (the whole plot when the verdict does not say), labelled with the check and, when the
  allowance came from a declared budget, "declared X, allowed Y; margin ..." with the declared
  value as a dotted line under it;
- every request such a budget condemns (over it, timed out, or for `fails_fast` a failure over it)
  is ringed in red;
- each recovery is a strip under the plot: a pale track from the heal to its bound, over it a bar
  to the first success (green within the bound, red over it), and a label saying what came back,
  from when, against which bound;
- each race's single winner is ringed in gold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from chaos.contracts import Status
from chaos.observe import FaultEnded, RequestDone, Timeline
from chaos.report._plotframe import LEFT, STRIP_H, WIDTH, Frame, Strip
from chaos.report.figures import allowance_text, format_seconds
from chaos.report.journal import MarginRule
from chaos.report.judgement import BudgetLine, Race, Recovery
from chaos.report.svg import element, text

__all__ = ["BUDGET", "OVER", "budget_layer", "heal_offset", "offender_layer", "race_layer", "recovery_layer"]

BUDGET: Final = "#b2182b"
OVER: Final = "#d7301f"
DECLARED: Final = "#8c5a5a"
WINNER: Final = "#c48a00"
RECOVERED: Final = "#1a9850"
_LABEL_H: Final = 13
_HALO: Final = {"stroke": "#ffffff", "stroke_width": 3, "paint_order": "stroke"}
"""A white outline under a label's letters: readable over points, lines and bars."""
_CHAR_W: Final = 6.2      # width of one 11 px character, near enough to keep labels apart


def budget_label(line: BudgetLine, rule: MarginRule | None) -> str:
    """ "bounded: budget 1.5 s", "fails_fast (failures): declared 1 s, allowed 1.5 s; margin +50 %, ..."."""
    what = f"{line.check} (failures)" if line.failures_only else line.check
    return f"{what}: {allowance_text(line.allowed_s, line.declared_s, rule)}"


def budget_layer(f: Frame, budgets: Sequence[BudgetLine], rule: MarginRule | None) -> str:
    """A dashed line per budget over its window, the declared budget dotted under it, and their labels."""
    shapes: list[str] = []
    taken: list[float] = []            # label baselines already used: labels never overlap
    for line in budgets:
        left = f.x(line.window_start_s) if line.window_start_s is not None else float(LEFT)
        right = f.x(line.window_end_s) if line.window_end_s is not None else f.x(f.x_end)
        y = f.y(line.allowed_s)
        label = budget_label(line, rule)
        shapes.append(element("line", element("title", text(label)), class_="budget", x1=left, y1=y, x2=right,
                              y2=y, stroke=BUDGET, stroke_width=1.6, stroke_dasharray="7 4",
                              data_check=line.check, data_allowed_s=f"{line.allowed_s:g}"))
        if line.declared_s is not None:
            yd = f.y(line.declared_s)
            shapes.append(element("line", element("title", text(f"{line.check}: declared "
                                                                 f"{format_seconds(line.declared_s)}")),
                                  class_="declared", x1=left, y1=yd, x2=right, y2=yd, stroke=DECLARED,
                                  stroke_width=1, stroke_dasharray="2 3", data_check=line.check))
        baseline = y - 5
        while any(abs(baseline - t) < _LABEL_H for t in taken):
            baseline += _LABEL_H        # under the others: budgets close together stack their labels
        taken.append(baseline)
        width = _CHAR_W * len(label)
        x = max(float(LEFT) + 4, min(right - 4, float(WIDTH) - 4) - width)
        shapes.append(element("text", text(label), class_="budget-label", x=x, y=baseline, font_size=11,
                              fill=BUDGET, **_HALO))
    return element("g", shapes, class_="budgets")


def offender_layer(timeline: Timeline, f: Frame, requests: Sequence[RequestDone],
                   budgets: Sequence[BudgetLine]) -> tuple[str, int]:
    """A red ring around every request a budget condemns (the ring says which budgets); with the count."""
    rings: list[str] = []
    for r in requests:
        over = [b for b in budgets if b.offends(timeline, r)]
        if not over:
            continue
        why = "; ".join(f"over the {format_seconds(b.allowed_s)} budget of {b.check}" for b in over)
        outcome = r.status if r.status is not None else r.error
        rings.append(element(
            "circle", element("title", text(f"{timeline.offset_s(r.start_ns):+.3f} s {r.method} {r.path} "
                                            f"[{r.label}] -> {outcome} in {r.latency_s:.3f} s: {why}")),
            class_="offender", cx=f.xs(r.start_ns), cy=f.y(r.latency_s), r=5.5, fill="none", stroke=OVER,
            stroke_width=1.6))
    return element("g", rings, class_="offenders"), len(rings)


def race_layer(timeline: Timeline, f: Frame, requests: Sequence[RequestDone], races: Sequence[Race]) -> str:
    """A gold ring and "winner" over each race's single winner (found by its start on the timeline)."""
    marks: list[str] = []
    for race in races:
        winner = race_winner(timeline, requests, race)
        if winner is None:
            continue
        cx, cy = f.xs(winner.start_ns), f.y(winner.latency_s)
        marks.append(element(
            "circle", element("title", text(f"winner of {race.check} [{winner.label}]: "
                                            f"{timeline.offset_s(winner.start_ns):+.3f} s {winner.method} "
                                            f"{winner.path} -> {winner.status} in {winner.latency_s:.3f} s")),
            class_="winner", cx=cx, cy=cy, r=6.5, fill="none", stroke=WINNER, stroke_width=2,
            data_check=race.check))
        marks.append(element("text", "winner", x=cx - 16, y=cy - 9, font_size=10, fill=WINNER, font_weight="bold"))
    return element("g", marks, class_="winners")


def race_winner(timeline: Timeline, requests: Sequence[RequestDone], race: Race) -> RequestDone | None:
    """The request that won `race`: the 2xx answer that started at its `winner_start_s` (to 1 us)."""
    if race.winner_start_s is None or race.winners != 1:
        return None
    return next((r for r in requests if r.status is not None and 200 <= r.status < 300
                 and abs(timeline.offset_s(r.start_ns) - race.winner_start_s) < 1e-6), None)


def heal_offset(timeline: Timeline, recovery: Recovery) -> float | None:
    """Where a recovery is measured from: the check's own `heal_offset_s`, else the last heal on the
    timeline (what every recovery check of the catalog measures from), else unknown."""
    if recovery.heal_offset_s is not None:
        return recovery.heal_offset_s
    heals = timeline.events(FaultEnded)
    return timeline.offset_s(heals[-1].at_ns) if heals else None


def recovery_label(timeline: Timeline, recovery: Recovery, rule: MarginRule | None) -> str:
    """ "requests recovered 400 ms after the heal at +3.200 s (bound 5 s)"."""
    heal = heal_offset(timeline, recovery)
    when = f" at {heal:+.3f} s" if heal is not None else ""
    bound = allowance_text(recovery.bound_s, recovery.declared_s, rule, word="bound")
    return (f"{recovery.what} {format_seconds(recovery.recovery_s)} after the heal{when} "
            f"({bound}) [{recovery.check}]")


def recovery_layer(timeline: Timeline, f: Frame, strips: Sequence[Strip], recoveries: Sequence[Recovery],
                   rule: MarginRule | None) -> str:
    """Each recovery in its strip: the track to its bound, the bar from the heal to the first success, the label."""
    shapes: list[str] = []
    for strip, recovery in zip(strips, recoveries, strict=True):
        label = recovery_label(timeline, recovery, rule)
        shapes.append(element("text", "recovered", x=LEFT - 6, y=strip.y + STRIP_H - 4, text_anchor="end",
                              font_size=11))
        heal = heal_offset(timeline, recovery)
        label_x = float(LEFT) + 4
        if heal is not None:
            left, right = f.x(heal), f.x(heal + recovery.recovery_s)
            colour = RECOVERED if recovery.recovery_s <= recovery.bound_s else OVER
            bound_x = f.x(heal + recovery.bound_s)
            # the span allowed (a pale track to the bound), then what it took (the bar over it)
            shapes.append(element("rect", element("title", text(f"allowed: {format_seconds(recovery.bound_s)} "
                                                                 "after the heal")),
                                  class_="recovery-bound", x=left, y=strip.y + 2, width=max(bound_x - left, 2.0),
                                  height=STRIP_H - 4, fill="#eef1ee", stroke="#8a938a", stroke_width=0.8))
            shapes.append(element("rect", element("title", text(label)), class_="recovery", x=left, y=strip.y + 3,
                                  width=max(right - left, 2.0), height=STRIP_H - 6, fill=colour,
                                  data_check=recovery.check, data_recovery_s=f"{recovery.recovery_s:g}"))
            label_x = max(right, left + 2.0) + 6
            if label_x + _CHAR_W * len(label) > WIDTH:
                label_x = max(float(LEFT) + 4, left - 6 - _CHAR_W * len(label))
        status = "" if recovery.status is Status.PASSED else f" [{recovery.status}]"
        shapes.append(element("text", text(label + status), class_="recovery-label", x=label_x,
                              y=strip.y + STRIP_H - 4, font_size=11, **_HALO))
    return element("g", shapes, class_="recoveries")
