"""Seeded fuzz of the target-file loader: mutations of the reference target (fixtures/sut/chaos.toml)
through `load_target`, counted by outcome. The target is 0 exceptions other than TargetFileError.

    .venv/bin/python bench/fuzz_target_loader.py [--count 2000] [--seed 15]

Mutation i is drawn from Random(f"{seed}:{i}"), so any file it reports can be written again with
`--count 1 --first i --keep DIR`. It prints the outcomes, the slowest load, the most problems one
file had and the longest message (lines, and the longest line), then the first few failures.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))   # the mutator is shared with tests/targetfile/test_loader_fuzz.py

from support.target_mutations import Mutation, mutate  # noqa: E402

from chaos.errors import TargetFileError  # noqa: E402
from chaos.targetfile import load_target  # noqa: E402

ENVIRON = {"CHAOS_TOKEN": "s3cret-token"}


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    slowest: tuple[float, int] = (0.0, -1)
    most_problems: tuple[int, int] = (0, -1)
    most_lines: tuple[int, int] = (0, -1)
    longest_line: tuple[int, int] = (0, -1)
    multiline_problems: int = 0
    failures: list[tuple[int, Mutation, str]] = field(default_factory=list)


def run_one(index: int, mutation: Mutation, path: Path, tally: Tally) -> None:
    path.write_bytes(mutation.content)
    started = time.perf_counter()
    try:
        load_target(path, environ=ENVIRON)
        outcome = "ok"
    except TargetFileError as exc:
        outcome = "TargetFileError"
        lines = str(exc).splitlines()
        tally.most_problems = max(tally.most_problems, (len(exc.problems), index))
        tally.most_lines = max(tally.most_lines, (len(lines), index))
        tally.longest_line = max(tally.longest_line, (max(len(line) for line in lines), index))
        tally.multiline_problems += sum("\n" in p for p in exc.problems)
    except Exception:   # what the fuzz is looking for
        outcome = "other: " + sys.exc_info()[0].__name__   # type: ignore[union-attr]
        tally.failures.append((index, mutation, traceback.format_exc(limit=-3)))
    elapsed = time.perf_counter() - started
    tally.slowest = max(tally.slowest, (elapsed, index))
    tally.outcomes[outcome] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", default="15")
    parser.add_argument("--first", type=int, default=0, help="index of the first mutation")
    parser.add_argument("--keep", type=Path, help="write the files into this directory instead of a temporary one")
    args = parser.parse_args()
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-target-") as scratch:
        where = args.keep or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        for index in range(args.first, args.first + args.count):
            mutation = mutate(random.Random(f"{args.seed}:{index}"))
            name = f"chaos-{index}.toml" if args.keep else "chaos.toml"
            run_one(index, mutation, where / name, tally)
    wall = time.monotonic() - started
    others = sum(n for outcome, n in tally.outcomes.items() if outcome.startswith("other"))
    print(f"{args.count} mutations (seed {args.seed}) in {wall:.1f} s")
    for outcome, n in sorted(tally.outcomes.items(), key=lambda item: -item[1]):
        print(f"  {outcome:<32} {n:>6}  {100 * n / args.count:5.1f}%")
    print(f"other exceptions: {others} (target 0)")
    print(f"slowest load: {tally.slowest[0] * 1000:.1f} ms (mutation {tally.slowest[1]})")
    print(f"most problems in one file: {tally.most_problems[0]} (mutation {tally.most_problems[1]})")
    print(f"longest message: {tally.most_lines[0]} lines (mutation {tally.most_lines[1]}); longest line "
          f"{tally.longest_line[0]} characters (mutation {tally.longest_line[1]})")
    print(f"problems spanning more than one line: {tally.multiline_problems} (target 0)")
    for index, mutation, text in tally.failures[:5]:
        print(f"\n--- mutation {index}: {'; '.join(mutation.steps)}\n{text.rstrip()}")
    return 1 if others or tally.multiline_problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
