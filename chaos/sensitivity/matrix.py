"""The sensitivity matrix: every experiment against the healthy service and against each defect
switch that breaks its contract. An experiment that cannot fail is worse than none; this is the
proof that each one can, and that none cries wolf on the healthy service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chaos.errors import ChaosError, UnknownContract
from chaos.sensitivity.outcomes import Outcome, Result, read_junit
from chaos.targetfile import CONTRACTS, Target

__all__ = ["Cell", "CellSpec", "Matrix", "plan", "run_cell", "run_matrix", "workers_for"]

RUN_TIMEOUT_S = 900.0
"""One pytest run of one contract's experiments: bounded so a hung run cannot hold the matrix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CellSpec:
    contract: str
    defect: str | None      # None: the healthy service


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    spec: CellSpec
    results: tuple[Result, ...]
    log_tail: str = ""

    @property
    def detected(self) -> bool:
        """With a defect on: at least one experiment of the contract failed (a broken contract)."""
        return any(r.outcome is Outcome.FAILED for r in self.results)

    @property
    def clean(self) -> bool:
        """On the healthy service: every experiment of the contract passed."""
        return bool(self.results) and all(r.outcome is Outcome.PASSED for r in self.results)


@dataclass(frozen=True, slots=True, kw_only=True)
class Matrix:
    cells: tuple[Cell, ...]

    def healthy(self) -> list[Cell]:
        return [c for c in self.cells if c.spec.defect is None]

    def defective(self) -> list[Cell]:
        return [c for c in self.cells if c.spec.defect is not None]

    @property
    def false_alarms(self) -> int:
        return sum(1 for c in self.healthy() if not c.clean)

    @property
    def misses(self) -> int:
        return sum(1 for c in self.defective() if not c.detected)


def plan(target: Target, contracts: Sequence[str] = ()) -> list[CellSpec]:
    """A healthy cell and one cell per declared defect, for every contract (or those named).

    A name that is no contract raises UnknownContract (with a did-you-mean), one the target does not
    declare a ChaosError: either would otherwise plan 0 cells and pass.
    """
    for name in contracts:
        if name not in CONTRACTS:
            raise UnknownContract(name=name, known=list(CONTRACTS), source="--contract")
        if name not in target.contracts:
            raise ChaosError(f"--contract {name!r}: {target.path} declares no [contracts.{name}] "
                             f"(declared: {', '.join(target.contracts) or 'none'})")
    cells: list[CellSpec] = []
    for name, spec in target.contracts.items():
        if contracts and name not in contracts:
            continue
        cells.append(CellSpec(contract=name, defect=None))
        cells.extend(CellSpec(contract=name, defect=d) for d in spec.defects)
    return cells


def run_cell(
    spec: CellSpec, *, target: Target, experiments: Path, extra_args: Sequence[str] = (),
    timeout_s: float = RUN_TIMEOUT_S,
) -> Cell:
    """Run the contract's experiments in a fresh pytest (its own environment), with the defect on."""
    with tempfile.TemporaryDirectory(prefix="chaos-matrix-") as tmp:
        junit = Path(tmp) / "junit.xml"
        args = [sys.executable, "-m", "pytest", str(experiments), "-q", "-p", "no:cacheprovider",
                "--chaos-target", str(target.path), "--chaos-contract", spec.contract,
                f"--junitxml={junit}", *extra_args]
        if spec.defect is not None:
            env_var = target.service.defects_env
            if env_var is None:
                raise ValueError(f"{target.path}: [service].defects_env is not set, cannot switch on {spec.defect}")
            args += ["--chaos-sut-env", f"{env_var}={spec.defect}"]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, str) else ""
            return Cell(spec=spec, results=(), log_tail=f"timed out after {timeout_s:g} s\n{out[-2000:]}")
        results = tuple(read_junit(junit)) if junit.exists() else ()
        return Cell(spec=spec, results=results, log_tail=tail)


def workers_for(target: Target, workers: int) -> int:
    """How many cells may run at once: `workers`, but one for an attached target (one deployment,
    which parallel runs would fault at once, and whose redeploys would switch each other's defects)."""
    return 1 if target.attached else max(1, workers)


def run_matrix(
    specs: Sequence[CellSpec], *, target: Target, experiments: Path, workers: int = 2,
    extra_args: Sequence[str] = (), progress: Callable[[Cell], None] | None = None,
) -> Matrix:
    """Run every cell, `workers` pytest processes at a time (one for an attached target); cells keep
    the order of `specs`."""
    def one(spec: CellSpec) -> Cell:
        cell = run_cell(spec, target=target, experiments=experiments, extra_args=extra_args)
        if progress is not None:
            progress(cell)
        return cell

    with ThreadPoolExecutor(max_workers=workers_for(target, workers)) as pool:
        cells = tuple(pool.map(one, specs))
    return Matrix(cells=cells)
