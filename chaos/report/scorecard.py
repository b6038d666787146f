"""The terminal scorecard: one line per experiment (contract, verdict, duration, key figures), as text.

A pure function of the summaries (themselves functions of the journals), so the end of a pytest
run and `chaos report` print the same thing:

    chaos scorecard: 13 passed, 1 failed, 1 skipped (15 experiments, 1 min 54 s)
    contract              verdict       time  key figures                                  experiment
    cache_fallback        passed       7.8 s  p99 17 ms (budget 1.5 s), recovery 19 ms ... test_cache_...
    db_restart            FAILED       9.1 s  p99 3.01 s (budget 1.5 s)                    test_db_...
                          -> bounded: p99 latency is 3.010 s, over the 1.5 s budget ...
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from chaos.report.figures import format_seconds
from chaos.report.journal import Journal, Outcome
from chaos.report.summary import Summary, summarise

__all__ = ["outcome_counts", "render_scorecard", "scorecard", "scorecard_lines"]

_ORDER: Final = (Outcome.PASSED, Outcome.FAILED, Outcome.INCONCLUSIVE, Outcome.ABORTED, Outcome.ERROR,
                 Outcome.SKIPPED)
_SHOUT: Final = frozenset({Outcome.FAILED, Outcome.INCONCLUSIVE, Outcome.ABORTED, Outcome.ERROR})
_MAX_FIGURES_WIDTH: Final = 64
_TERMINAL_FIGURES: Final = 2      # the HTML shows all the key figures; a terminal row has room for two
_UNIT: Final = re.compile(r"(\d|\+|min|h) (ns|us|ms|s|min|h|%|\d)(?=\W|$)")
"""A number and its unit ("1.5 s", "+50 %", "5 min 0 s"): glued while wrapping, so never parted."""


def outcome_counts(summaries: Iterable[Summary]) -> str:
    """ "13 passed, 1 failed, 1 skipped" (only the outcomes that occur, in a fixed order)."""
    counts = Counter(s.outcome for s in summaries)
    return ", ".join(f"{counts[o]} {o}" for o in _ORDER if counts[o]) or "no experiments"


def scorecard_lines(summaries: Sequence[Summary], *, width: int = 120) -> list[tuple[str, Outcome | None]]:
    """The scorecard's lines, each with the outcome it reports (None for headings), for colouring.

    Failed, inconclusive, aborted and errored experiments are in capitals and followed by their reason
    (wrapped to `width`, at most three lines), so the line that matters stands out without colour too.
    Key figures that do not fit their column continue on the next lines, whole: a figure is never
    cut, a number never parted from its unit.
    """
    if not summaries:
        return [("chaos scorecard: no experiments ran", None)]
    total_s = sum(s.duration_s for s in summaries)
    lines: list[tuple[str, Outcome | None]] = [(
        f"chaos scorecard: {outcome_counts(summaries)} "
        f"({len(summaries)} experiment{'s' if len(summaries) != 1 else ''}, {format_seconds(total_s)})",
        None,
    )]
    figure_lines = [_figure_lines(s) for s in summaries]
    rows = [
        (s.contract, s.outcome.upper() if s.outcome in _SHOUT else str(s.outcome),
         format_seconds(s.duration_s), figures[0], s.experiment)
        for s, figures in zip(summaries, figure_lines, strict=True)
    ]
    header = ("contract", "verdict", "time", "key figures", "experiment")
    widths = [max(len(r[i]) for r in (*rows, header)) for i in range(3)]
    widths.append(max(len(line) for line in (*(f for fs in figure_lines for f in fs), header[3])))

    def line(cells: tuple[str, str, str, str, str]) -> str:
        contract, verdict, duration, figures, experiment = cells
        return (f"{contract:<{widths[0]}}  {verdict:<{widths[1]}}  {duration:>{widths[2]}}  "
                f"{figures:<{widths[3]}}  {experiment}").rstrip()

    lines.append((line(header), None))
    for summary, row, figures in zip(summaries, rows, figure_lines, strict=True):
        lines.append((line(row), summary.outcome))
        lines.extend((line(("", "", "", more, "")), summary.outcome) for more in figures[1:])
        if summary.outcome in _SHOUT and summary.detail:
            indent = " " * (widths[0] + 2)
            wrapped = textwrap.wrap(summary.detail, width=max(40, width - len(indent) - 3), max_lines=3,
                                    placeholder=" ...")
            lines.extend((f"{indent}{'-> ' if i == 0 else '   '}{part}", summary.outcome)
                         for i, part in enumerate(wrapped))
    return lines


def render_scorecard(summaries: Sequence[Summary], *, width: int = 120) -> str:
    """The scorecard as one block of text."""
    return "\n".join(text for text, _ in scorecard_lines(summaries, width=width))


def scorecard(journals: Iterable[Journal], *, width: int = 120) -> str:
    """The scorecard of stored or fresh journals, in the order given."""
    return render_scorecard([summarise(j) for j in journals], width=width)


def _figure_lines(summary: Summary) -> list[str]:
    """The key figures as lines of at most `_MAX_FIGURES_WIDTH`: as many whole figures on a line as
    fit, a figure longer than that wrapped between words (a number and its unit stay together)."""
    texts = [f.text() for f in summary.key_figures[:_TERMINAL_FIGURES]]
    if not texts:
        return ["-"]
    lines: list[str] = []
    for figure in texts:
        if lines and len(lines[-1]) + 2 + len(figure) <= _MAX_FIGURES_WIDTH:
            lines[-1] += f", {figure}"
            continue
        if lines:
            lines[-1] += ","
        glued = figure
        for _ in range(2):   # twice: "5 min 0 s" overlaps itself ("5 min", "min 0", "0 s")
            glued = _UNIT.sub("\\1\N{NO-BREAK SPACE}\\2", glued)
        lines.extend(part.replace("\N{NO-BREAK SPACE}", " ") for part in textwrap.wrap(
            glued, width=_MAX_FIGURES_WIDTH, break_long_words=False, break_on_hyphens=False,
            subsequent_indent="  "))
    return lines
