"""Time from nothing to a ready environment (Postgres, Redis, fake API, proxies, SUT) with a target.

    .venv/bin/python bench/env_startup.py [--runs 5] [--target fixtures/sut/chaos.toml]

Prints the median, min and max over the runs, then the median of each part. Parts overlap (they
start in parallel), so they do not add up to the total; `postgres.prepare` is the template copy,
`*.ready` launch-to-ready, `postgres.setup` the role, database and init SQL. The issue's target is
a median under 3 s. The cached Postgres template is created before the first timed run (initdb once
per machine is not what this measures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from chaos.env.local import LocalBackend
from chaos.env.pgtemplate import ensure_template
from chaos.env.tools import find_postgres, postgres_run_as
from chaos.targetfile import DependencyKind, load_target

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="number of timed start-ups (default 5)")
    parser.add_argument("--target", type=Path, default=ROOT / "fixtures" / "sut" / "chaos.toml")
    args = parser.parse_args()
    target = load_target(args.target)
    if any(d.kind is DependencyKind.POSTGRES for d in target.dependencies.values()):
        ensure_template(find_postgres(), postgres_run_as())
    backend = LocalBackend()
    totals: list[float] = []
    parts: dict[str, list[float]] = {}
    for run in range(1, args.runs + 1):
        started = time.monotonic()
        env = backend.start(target, worker_id="bench")
        elapsed = time.monotonic() - started
        env.close()
        totals.append(elapsed)
        for part, seconds in env.startup_times.items():
            parts.setdefault(part, []).append(seconds)
        print(f"run {run}: {elapsed:.2f} s", file=sys.stderr)
    median = statistics.median(totals)
    verdict = "met" if median < 3 else "MISSED"
    print(f"env start-up ({target.path.name}, {args.runs} runs): median {median:.2f} s, "
          f"min {min(totals):.2f} s, max {max(totals):.2f} s  [target < 3 s: {verdict}]")
    print("median per part (parts run in parallel):")
    for part in sorted(parts, key=lambda p: (p == "total", p)):
        print(f"  {part:<22} {statistics.median(parts[part]):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
