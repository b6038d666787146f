"""One scorecard row per experiment, and its form as JUnit properties (which also carry it across xdist).

`summarise(journal)` keeps what the scorecard shows: contract, outcome, the one-line detail,
duration, the key figures (and the margin rule, when one of them was allowed from a declared
budget). `summary_to_properties` writes that as `(name, value)` pairs for
`item.user_properties`, so pytest's `--junitxml` shows them on the test case and pytest-xdist
ships them to the controller with the report; `summary_from_properties` reads them back there, so
the terminal scorecard of a distributed run is built from the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from chaos.report.figures import KeyFigure, key_figure_names, key_figures, verdict_figures
from chaos.report.journal import Journal, MarginRule, Outcome

__all__ = [
    "NOT_SENT_FIGURE",
    "PROPERTY_PREFIX",
    "Summary",
    "summarise",
    "summary_from_properties",
    "summary_to_properties",
]

PROPERTY_PREFIX: Final = "chaos."
NOT_SENT_FIGURE: Final = "load.not_sent"
"""The requests of the run the open-model load could not send (in-flight cap reached), when any."""
_FIGURE_PREFIX: Final = "chaos.figure."
_MARGIN_RELATIVE: Final = "chaos.margin.relative"
_MARGIN_FLOOR: Final = "chaos.margin.floor_s"
_MARGIN_LONG_BASE: Final = "chaos.margin.long_base_s"
_MARGIN_LONG_SHARE: Final = "chaos.margin.long_share"
_MAX_DETAIL: Final = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """What the scorecard says about one experiment."""

    nodeid: str
    experiment: str
    contract: str
    outcome: Outcome
    detail: str = ""
    duration_s: float = 0.0
    figures: Mapping[str, float] = field(default_factory=dict)   # the key figures and their budgets
    journal: str | None = None                                   # where its journal was written
    margin_rule: MarginRule | None = None                        # kept when a key figure has a declared budget

    @property
    def key_figures(self) -> tuple[KeyFigure, ...]:
        return key_figures(self.figures, margin_rule=self.margin_rule)


def summarise(journal: Journal, *, journal_path: str | None = None) -> Summary:
    """The scorecard row of a journal: its key figures, outcome and first line of detail.

    Requests the load could not send are counted from the timeline (`load.not_sent`, first of the
    key figures when there are any), whichever contract judged the run."""
    figures = verdict_figures(journal.verdict) if journal.verdict is not None else {}
    not_sent = sum(1 for r in journal.timeline.requests() if r.not_sent) if journal.timeline is not None else 0
    if not_sent:   # the load could not send them for the requests the service held: always worth a look
        figures[NOT_SENT_FIGURE] = not_sent
    kept = {name: figures[name] for name in key_figure_names(figures)}
    declared = any(f.declared is not None for f in key_figures(kept))
    return Summary(
        nodeid=journal.nodeid, experiment=journal.experiment, contract=journal.contract_name,
        outcome=journal.outcome, detail=_first_line(journal.outcome_detail), duration_s=journal.duration_s,
        figures=kept, journal=journal_path, margin_rule=journal.margin_rule if declared else None,
    )


def summary_to_properties(summary: Summary) -> list[tuple[str, object]]:
    """`(name, value)` pairs for `item.user_properties`: contract, verdict, duration, detail, key figures."""
    props: list[tuple[str, object]] = [
        ("chaos.contract", summary.contract),
        ("chaos.verdict", str(summary.outcome)),
        ("chaos.duration_s", round(summary.duration_s, 3)),
    ]
    if summary.detail:
        props.append(("chaos.summary", summary.detail))
    props.extend((f"{_FIGURE_PREFIX}{name}", round(value, 6)) for name, value in summary.figures.items())
    if summary.margin_rule is not None:
        rule = summary.margin_rule
        props.extend([(_MARGIN_RELATIVE, rule.relative), (_MARGIN_FLOOR, rule.floor_s),
                      (_MARGIN_LONG_BASE, rule.long_base_s), (_MARGIN_LONG_SHARE, rule.long_share)])
    if summary.journal is not None:
        props.append(("chaos.journal", summary.journal))
    return props


def summary_from_properties(
    nodeid: str, experiment: str, properties: Iterable[tuple[str, object]]
) -> Summary | None:
    """The summary `summary_to_properties` wrote, or None when the test carries no chaos verdict."""
    values: dict[str, object] = {}
    figures: dict[str, float] = {}
    for name, value in properties:
        if name.startswith(_FIGURE_PREFIX):
            try:
                figures[name.removeprefix(_FIGURE_PREFIX)] = float(str(value))
            except ValueError:
                continue
        elif name.startswith(PROPERTY_PREFIX):
            values[name] = value
    verdict = values.get("chaos.verdict")
    if verdict is None or str(verdict) not in {o.value for o in Outcome}:
        return None
    try:
        duration_s = float(str(values.get("chaos.duration_s", 0.0)))
    except ValueError:
        duration_s = 0.0
    journal = values.get("chaos.journal")
    return Summary(
        nodeid=nodeid, experiment=experiment, contract=str(values.get("chaos.contract", "-")),
        outcome=Outcome(str(verdict)), detail=str(values.get("chaos.summary", "")), duration_s=duration_s,
        figures=figures, journal=None if journal is None else str(journal), margin_rule=_margin_rule(values),
    )


def _margin_rule(values: Mapping[str, object]) -> MarginRule | None:
    try:
        return MarginRule(relative=float(str(values[_MARGIN_RELATIVE])), floor_s=float(str(values[_MARGIN_FLOOR])),
                          long_base_s=float(str(values.get(_MARGIN_LONG_BASE, 0.0))),
                          long_share=float(str(values.get(_MARGIN_LONG_SHARE, 0.0))))
    except (KeyError, ValueError):
        return None


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 3] + "..."
