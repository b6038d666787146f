"""Cold versus warm environment start of a target with [service.prepare] (default: the Django service).

    .venv/bin/python bench/prepare_cache.py [--runs 3] [--target fixtures/django-sut/chaos.toml]

Cold: the target's prepared template (and its spare copies) removed first, so the start runs the
prepare commands (Django's migrations and the seed) and keeps the result. Warm: the template is
there, so the start copies it (or renames a spare made when the previous environment closed, as in
a real second run) and skips the commands. Both include Postgres, Redis, the fake API, the proxies and
the service until it answers its health check; the empty-cluster template (initdb, once per machine)
is cached in both. Prints the medians side by side with the ratio, then where the time goes. The
issue's target: warm < 5 s and at least 20x faster than cold.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from chaos.env.local import LocalBackend
from chaos.env.pgtemplate import default_cache_dir, ensure_template
from chaos.env.prepare import CollectedProgress, template_status
from chaos.env.registry import Registry
from chaos.env.tools import find_postgres, postgres_run_as
from chaos.errors import ChaosError
from chaos.targetfile import Target, load_target

ROOT = Path(__file__).resolve().parents[1]
DJANGO = ROOT / "fixtures" / "django-sut"
PARTS = ("prepare", "keep template", "postgres.prepare", "postgres", "proxy server", "sut", "total")


def _forget_template(target: Target, backend: LocalBackend) -> None:
    status = template_status(target, cache=backend.cache_dir or default_cache_dir(), major=find_postgres().major)
    if status is None:
        raise ChaosError(f"{target.path}: no [service.prepare] with a Postgres dependency: nothing to compare")
    for path in status.paths.values():
        shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(backend.registry.root / "pg-spares" / path.name, ignore_errors=True)


def _start(backend: LocalBackend, target: Target) -> dict[str, float]:
    started = time.monotonic()
    env = backend.start(target, worker_id="bench")
    elapsed = time.monotonic() - started
    env.close()
    times = dict(env.startup_times)
    times["total"] = elapsed
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold and warm starts each (default 3)")
    parser.add_argument("--target", type=Path, default=DJANGO / "chaos.toml")
    args = parser.parse_args()
    if args.target.resolve() == (DJANGO / "chaos.toml").resolve():
        subprocess.run([str(DJANGO / "setup.sh")], check=True)   # its .venv, quiet when done
    try:
        target = load_target(args.target)
        ensure_template(find_postgres(), postgres_run_as())
        backend = LocalBackend(registry=Registry(), progress=CollectedProgress())
        cold: list[dict[str, float]] = []
        warm: list[dict[str, float]] = []
        for run in range(1, args.runs + 1):
            _forget_template(target, backend)
            cold.append(_start(backend, target))
            warm.append(_start(backend, target))
            print(f"run {run}: cold {cold[-1]['total']:.2f} s, warm {warm[-1]['total']:.2f} s", file=sys.stderr)
    except ChaosError as exc:
        print(f"prepare_cache: {exc}", file=sys.stderr)
        return 2
    cold_s = statistics.median(r["total"] for r in cold)
    warm_s = statistics.median(r["total"] for r in warm)
    ratio = cold_s / warm_s
    met = warm_s < 5 and ratio >= 20
    print(f"environment start of {target.path.relative_to(ROOT) if target.path.is_relative_to(ROOT) else target.path}"
          f", {args.runs} runs each (medians):")
    print(f"  cold (prepare runs, template kept)  {cold_s:6.2f} s")
    print(f"  warm (template reused)              {warm_s:6.2f} s")
    print(f"  ratio cold/warm                     {ratio:6.1f}x   [target: warm < 5 s and >= 20x: "
          f"{'met' if met else 'MISSED'}]")
    print("median per part (parts overlap: dependencies start in parallel):")
    print(f"  {'part':<20} {'cold':>8} {'warm':>8}")
    for part in PARTS:
        c = [r[part] for r in cold if part in r]
        w = [r[part] for r in warm if part in r]
        shown_c = f"{statistics.median(c):.2f} s" if c else "-"
        shown_w = f"{statistics.median(w):.2f} s" if w else "-"
        print(f"  {part:<20} {shown_c:>8} {shown_w:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
