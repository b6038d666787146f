"""The matrix as text: one row per contract, the healthy verdict and each defect's, then the totals."""

from __future__ import annotations

from chaos.sensitivity.matrix import Cell, Matrix
from chaos.sensitivity.outcomes import Outcome

__all__ = ["render_cell", "render_matrix"]


def _summary(cell: Cell) -> str:
    if not cell.results:
        return "no result"
    counts: dict[Outcome, int] = {}
    for r in cell.results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return ", ".join(f"{n} {o}" for o, n in counts.items())


def render_cell(cell: Cell) -> str:
    if cell.spec.defect is None:
        verdict = "ok" if cell.clean else "FALSE ALARM"
        return f"{cell.spec.contract:<22} healthy{'':<22} {verdict:<12} ({_summary(cell)})"
    verdict = "detected" if cell.detected else "MISSED"
    return f"{cell.spec.contract:<22} {cell.spec.defect:<29} {verdict:<12} ({_summary(cell)})"


def render_matrix(matrix: Matrix, *, verbose: bool = False) -> str:
    lines = [f"{'contract':<22} {'service':<29} {'verdict':<12} experiments", "-" * 96]
    for cell in matrix.cells:
        lines.append(render_cell(cell))
        bad = (cell.spec.defect is None and not cell.clean) or (cell.spec.defect is not None and not cell.detected)
        if verbose or bad:
            lines.extend(f"    {r.outcome:<12} {r.test}: {r.message}" for r in cell.results)
            if bad and not cell.results:
                lines.extend(f"    | {line}" for line in cell.log_tail.splitlines())
    healthy, defective = matrix.healthy(), matrix.defective()
    contracts = {c.spec.contract for c in defective}
    caught = {c.spec.contract for c in defective if c.detected}
    lines += ["-" * 96,
              f"detected: {len(caught)}/{len(contracts)} contracts, "
              f"{sum(c.detected for c in defective)}/{len(defective)} defects; "
              f"false alarms: {matrix.false_alarms}/{len(healthy)} healthy runs; misses: {matrix.misses}"]
    return "\n".join(lines)
