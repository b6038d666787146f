"""`chaos matrix`: run each experiment on the healthy service and with each of its defects switched on."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from chaos.sensitivity import Cell, Matrix, plan, render_cell, render_matrix, run_matrix, workers_for
from chaos.targetfile import Target, load_target

__all__ = ["fixture_targets", "register"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "matrix", help="prove each experiment passes on the healthy service and fails on its defect",
        description="Run every contract's experiments against the healthy service and against each defect "
                    "the target file lists for it ([contracts.X].defects), and print the matrix. "
                    "Exit 1 on any false alarm or miss.")
    parser.add_argument("--target", action="append", default=[],
                        help="target file, repeatable: one matrix per target (default: fixtures/sut/chaos.toml)")
    parser.add_argument("--fixtures", action="store_true",
                        help="every target file under fixtures/ (each service's chaos.toml and its variants/*.toml)")
    parser.add_argument("--experiments", default="experiments", help="experiment directory (default: %(default)s)")
    parser.add_argument("--contract", action="append", default=[], help="only this contract (repeatable)")
    parser.add_argument("-j", "--workers", type=int, default=2, help="pytest runs at a time (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the whole matrix K times and count false alarms and misses (default: 1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every experiment of every cell")
    parser.set_defaults(func=run)


def fixture_targets(root: Path = FIXTURES) -> list[Path]:
    """Every reference service's target file, then the variants of each."""
    return sorted(root.glob("*/chaos.toml")) + sorted(root.glob("*/variants/*.toml"))


def run(args: argparse.Namespace) -> int:
    if args.repeat < 1 or args.workers < 1:
        raise SystemExit("chaos matrix: --repeat and --workers must be at least 1")
    paths = [Path(p) for p in args.target] + (fixture_targets() if args.fixtures else [])
    targets = [load_target(p) for p in (paths or [FIXTURES / "sut" / "chaos.toml"])]
    failed = 0
    for target in targets:
        if len(targets) > 1:
            print(f"==== {target.path}", flush=True)
        failed += _one_target(args, target)
    return 0 if failed == 0 else 1


def _one_target(args: argparse.Namespace, target: Target) -> int:
    """The matrix of one target, `--repeat` times; the number of false alarms and misses."""
    specs = plan(target, args.contract)
    experiments = Path(args.experiments)
    false_alarms = misses = 0
    started = time.monotonic()
    for k in range(1, args.repeat + 1):
        workers = workers_for(target, args.workers)   # one for an attached target: one deployment
        print(f"== run {k}/{args.repeat}: {len(specs)} cells, {workers} at a time", flush=True)

        def progress(cell: Cell) -> None:
            print(render_cell(cell), flush=True)

        matrix: Matrix = run_matrix(specs, target=target, experiments=experiments, workers=args.workers,
                                    progress=progress if args.verbose else None)
        print(render_matrix(matrix, verbose=args.verbose), flush=True)
        false_alarms += matrix.false_alarms
        misses += matrix.misses
    healthy = sum(1 for s in specs if s.defect is None) * args.repeat
    defective = sum(1 for s in specs if s.defect is not None) * args.repeat
    print(f"== {target.path.parent.name}/{target.path.name}: {args.repeat} run(s) in "
          f"{time.monotonic() - started:.0f} s: false alarms {false_alarms}/{healthy} healthy cells, "
          f"misses {misses}/{defective} defect cells", flush=True)
    return false_alarms + misses
