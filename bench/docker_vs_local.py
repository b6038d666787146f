"""The local and the docker backend side by side: time to a ready environment, a Postgres restart, and
the catalog's DB-restart experiment.

    .venv/bin/python bench/docker_vs_local.py [--runs 3] [--skip-experiment]

Needs the images already built (`scripts/docker-engine.sh images` on machines without a registry) and
DOCKER_HOST pointing at the engine; without an engine the docker column says why. Where the local
builds exist and no CHAOS_*_IMAGE override is set, they are used (nothing can be pulled here).

Rows (each a median of `--runs` samples, with the minimum, since other work on a shared machine
only slows a run down):
- ready environment: `Backend.start(reference target)` until the SUT answers /health and /ready,
  through the same function the pytest plugin uses; the docker column also lists its steps;
- Postgres restart: `env.dependency("postgres").restart()` with the SUT's pool connected, until
  Postgres accepts connections again;
- DB-restart experiment: the `call` phase of experiments/test_database.py's db_restart experiment, run by
  pytest with `--chaos-backend`, and its outcome (one run per backend: it takes ~15 s).

To add a row, write a function `(backend, env_or_none, runs) -> Sample` and list it in `ROWS`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chaos.env.base import Environment
from chaos.pytest_plugin.backends import start_environment
from chaos.targetfile import Target, load_target

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "fixtures" / "sut" / "chaos.toml"
DB_RESTART_TEST = "experiments/test_database.py::test_db_restart_fails_fast_and_recovers"
EXPERIMENT_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One backend's measurements for one row (seconds), or why there are none."""

    seconds: tuple[float, ...] = ()
    note: str = ""

    def cell(self) -> str:
        if not self.seconds:
            return self.note or "n/a"
        med, low = statistics.median(self.seconds), min(self.seconds)
        text = f"{med:.2f} s"
        if len(self.seconds) > 1:
            text += f" (min {low:.2f}, n={len(self.seconds)})"
        return f"{text} {self.note}".rstrip()


@dataclass(slots=True, kw_only=True)
class Column:
    backend: str
    problem: str | None = None      # why this backend cannot run here
    steps: str = ""                 # the last start's steps, printed under the table


def _timed_start(backend: str, target: Target, column: Column) -> tuple[float, Environment]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
    start = time.monotonic()
    env = start_environment(backend, target, worker_id="bench", sut_env={}, workdir=workdir)
    elapsed = time.monotonic() - start
    steps: dict[str, float] = getattr(env, "startup_times", {})
    if steps:
        column.steps = f"{backend} start-up steps (s): " + ", ".join(
            f"{k} {v:.2f}" for k, v in steps.items() if k != "total")
    return elapsed, env


def ready_environment(column: Column, target: Target, runs: int) -> Sample:
    times = []
    for _ in range(runs):
        elapsed, env = _timed_start(column.backend, target, column)
        env.close()
        times.append(elapsed)
    return Sample(seconds=tuple(times))


def postgres_restart(column: Column, target: Target, runs: int) -> Sample:
    _, env = _timed_start(column.backend, target, column)
    try:
        pg = env.dependency("postgres")
        times = []
        for _ in range(runs):
            start = time.monotonic()
            pg.restart()
            times.append(time.monotonic() - start)
            env.sut.wait_ready(30)
        return Sample(seconds=tuple(times))
    finally:
        env.close()


_CALL = re.compile(r"^\s*([0-9.]+)s call\s+(\S+)", re.MULTILINE)
_OUTCOME = re.compile(r"\b(\d+ (?:passed|failed|skipped|error)s?\b.*) in ", re.MULTILINE)


def db_restart_experiment(column: Column, target: Target, runs: int) -> Sample:
    argv = [sys.executable, "-m", "pytest", DB_RESTART_TEST, "--chaos-backend", column.backend,
            "--chaos-target", str(target.path), "-q", "-p", "no:randomly", "--durations=0", "-vv"]
    try:
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=EXPERIMENT_TIMEOUT_S,
                              start_new_session=True, check=False)
    except subprocess.TimeoutExpired:
        return Sample(note=f"no result after {EXPERIMENT_TIMEOUT_S:g} s")
    output = done.stdout + done.stderr
    call = _CALL.search(output)
    outcome = _OUTCOME.search(output)
    verdict = outcome.group(1) if outcome else f"pytest exit {done.returncode}"
    if call is None:
        return Sample(note=f"({verdict}; no call time in pytest's output)")
    return Sample(seconds=(float(call.group(1)),), note=f"({verdict})")


ROWS: tuple[tuple[str, Callable[[Column, Target, int], Sample]], ...] = (
    ("ready environment", ready_environment),
    ("Postgres restart", postgres_restart),
    ("DB-restart experiment", db_restart_experiment),
)


@contextmanager
def local_image_overrides() -> Iterator[str | None]:
    """Point Compose at the local builds where no override is set; yields why docker cannot run, if so."""
    from chaos.env.docker import ENGINE_HINT, engine_problem, local_image_overrides

    problem = engine_problem()
    if problem is not None:
        yield f"{problem} ({ENGINE_HINT})"
        return
    import docker

    client = docker.from_env(timeout=30)
    saved = dict(os.environ)
    try:
        os.environ.update(local_image_overrides(client))
        yield None
    finally:
        os.environ.clear()
        os.environ.update(saved)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="samples per row and backend (default 3)")
    parser.add_argument("--skip-experiment", action="store_true", help="leave out the DB-restart experiment")
    args = parser.parse_args(argv)
    target = load_target(TARGET)
    rows = [r for r in ROWS if not (args.skip_experiment and r[0] == "DB-restart experiment")]
    with local_image_overrides() as docker_problem:
        columns = [Column(backend="local"), Column(backend="docker", problem=docker_problem)]
        table: list[tuple[str, list[str]]] = []
        for label, measure in rows:
            cells = []
            for column in columns:
                if column.problem is not None:
                    cells.append("skipped")
                    continue
                print(f"measuring {label} on {column.backend} ...", file=sys.stderr, flush=True)
                cells.append(measure(column, target, args.runs).cell())
            table.append((label, cells))
    width = max(len(label) for label, _ in table)
    col_width = max(len(c) for _, cells in table for c in [*cells, "local", "docker"])
    print(f"{'':{width}}  {'local':{col_width}}  docker")
    for label, cells in table:
        print(f"{label:{width}}  {cells[0]:{col_width}}  {cells[1]}")
    for column in columns:
        if column.problem:
            print(f"\n{column.backend}: {column.problem}")
        if column.steps:
            print(column.steps)
    return 0


if __name__ == "__main__":
    if shutil.which("docker-compose") is None and shutil.which("docker") is None:
        print("note: no Compose CLI on PATH; the docker column will say so", file=sys.stderr)
    raise SystemExit(main())
