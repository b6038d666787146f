"""Repeatability of the catalog's verdicts: run the sensitivity matrix K times (default 10) and print
false alarms (an experiment failing on the healthy service) and misses (a defect not caught).

    .venv/bin/python bench/repeatability.py [K] [-- extra `chaos matrix` arguments]

Target: 0 false alarms and 0 misses. Each run starts a fresh environment per cell, two at a time.
"""

from __future__ import annotations

import sys

from chaos.cli import main


def run(argv: list[str]) -> int:
    repeat = argv[0] if argv and argv[0].isdigit() else "10"
    extra = argv[1:] if argv and argv[0].isdigit() else argv
    return main(["matrix", "--repeat", repeat, *extra])


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
