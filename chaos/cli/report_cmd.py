"""`chaos report`: re-render the HTML report and the scorecard from stored journals (Jepsen's analyze)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chaos.errors import JournalError
from chaos.report import read_journals, scorecard, write_html

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="re-render the HTML report from stored experiment journals",
        description="Read experiment journals (files, or directories holding them, such as the DIR/journals "
                    "that --chaos-report DIR leaves), validate each against the journal schema, write "
                    "OUT/index.html and print the scorecard. Nothing is re-run: the journals are the record.")
    parser.add_argument("journals", nargs="+", type=Path, metavar="JOURNAL",
                        help="a journal file (*.json) or a directory of them")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                        help="directory to write index.html to (created if missing)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = [p for p in args.journals if not p.exists()]
    if missing:
        raise JournalError(path=str(missing[0]), problem="no such file or directory")
    journals = read_journals(args.journals)
    if not journals:
        raise JournalError(path=", ".join(map(str, args.journals)), problem="no journal (*.json) found there")
    path = write_html(args.output / "index.html", journals)
    print(scorecard(journals))
    print(f"\nwrote {path} ({len(journals)} journal{'s' if len(journals) != 1 else ''})")
    return 0
