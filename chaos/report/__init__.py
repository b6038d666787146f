"""Reports of a run: per-experiment JSON journals, one self-contained HTML file, the terminal scorecard.

    journal.py    Journal and its parts (frozen dataclasses), Outcome, journal_to_data / journal_from_data:
                  the one JSON form (schema_version 1, described by journal.schema.json and README.md)
    capture.py    journal_of(): a Journal from a live Experiment (or from a skip / an error)
    schema.py     the JSON Schema and schema_problems()
    store.py      journals on disk: <dir>/journals/<nodeid slug>.json, read back and validated
    figures.py    key_figures(): the few figures worth showing (p99, recovery, drain, ...)
    summary.py    Summary (a scorecard row) and its JUnit-property form
    scorecard.py  the terminal scorecard, a pure function of journals
    plot.py       the timeline plot of one experiment, as inline SVG (svg.py draws)
    html.py       render_html() / write_html(): the report page

Everything that renders is a function of journals, so `chaos report out/journals -o out/` re-renders
a stored run the way a Jepsen checker re-runs on a stored history.
"""

from chaos.report.capture import journal_of
from chaos.report.figures import KeyFigure, key_figures
from chaos.report.html import render_html, write_html
from chaos.report.journal import (
    SCHEMA_VERSION,
    ContractInfo,
    FaultRecord,
    Journal,
    Outcome,
    Provenance,
    SteadyStateRecord,
    SutExit,
    TargetInfo,
    journal_from_data,
    journal_to_data,
    sut_exits,
)
from chaos.report.schema import journal_schema, schema_problems
from chaos.report.scorecard import render_scorecard, scorecard, scorecard_lines
from chaos.report.store import journal_path, nodeid_slug, read_journal, read_journals, write_journal
from chaos.report.summary import Summary, summarise, summary_from_properties, summary_to_properties

__all__ = [
    "SCHEMA_VERSION",
    "ContractInfo",
    "FaultRecord",
    "Journal",
    "KeyFigure",
    "Outcome",
    "Provenance",
    "SteadyStateRecord",
    "Summary",
    "SutExit",
    "TargetInfo",
    "journal_from_data",
    "journal_of",
    "journal_path",
    "journal_schema",
    "journal_to_data",
    "key_figures",
    "nodeid_slug",
    "read_journal",
    "read_journals",
    "render_html",
    "render_scorecard",
    "schema_problems",
    "scorecard",
    "scorecard_lines",
    "summarise",
    "summary_from_properties",
    "summary_to_properties",
    "sut_exits",
    "write_html",
    "write_journal",
]
