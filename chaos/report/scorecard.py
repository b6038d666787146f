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
_TERMINAL_FIGURES: Final = 2      # the HTML shows all the key figures; a terminal line has room for two


def outcome_counts(summaries: Iterable[Summary]) -> str:
    """ "13 passed, 1 failed, 1 skipped" (only the outcomes that occur, in a fixed order)."""
    counts = Counter(s.outcome for s in summaries)
    return ", ".join(f"{counts[o]} {o}" for o in _ORDER if counts[o]) or "no experiments"


def scorecard_lines(summaries: Sequence[Summary], *, width: int = 120) -> list[tuple[str, Outcome | None]]:
    """The scorecard's lines, each with the outcome it reports (None for headings), for colouring.

    Failed, inconclusive, aborted and errored experiments are in capitals and followed by their reason
    (wrapped to `width`, at most three lines), so the line that matters stands out without colour too.
    """
    if not summaries:
        return [("chaos scorecard: no experiments ran", None)]
    total_s = sum(s.duration_s for s in summaries)
    lines: list[tuple[str, Outcome | None]] = [(
        f"chaos scorecard: {outcome_counts(summaries)} "
        f"({len(summaries)} experiment{'s' if len(summaries) != 1 else ''}, {format_seconds(total_s)})",
        None,
    )]
    rows = [
        (s.contract, s.outcome.upper() if s.outcome in _SHOUT else str(s.outcome),
         format_seconds(s.duration_s), _figures_text(s), s.experiment)
        for s in summaries
    ]
    header = ("contract", "verdict", "time", "key figures", "experiment")
    widths = [max(len(r[i]) for r in (*rows, header)) for i in range(4)]

    def line(cells: tuple[str, str, str, str, str]) -> str:
        contract, verdict, duration, figures, experiment = cells
        return (f"{contract:<{widths[0]}}  {verdict:<{widths[1]}}  {duration:>{widths[2]}}  "
                f"{figures:<{widths[3]}}  {experiment}").rstrip()

    lines.append((line(header), None))
    for summary, row in zip(summaries, rows, strict=True):
        lines.append((line(row), summary.outcome))
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


def _figures_text(summary: Summary) -> str:
    text = ", ".join(f.text() for f in summary.key_figures[:_TERMINAL_FIGURES]) or "-"
    return text if len(text) <= _MAX_FIGURES_WIDTH else text[: _MAX_FIGURES_WIDTH - 3] + "..."
