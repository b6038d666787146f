"""Sensitivity: proof that each experiment passes on the healthy service and fails on its defect."""

from chaos.sensitivity.matrix import Cell, CellSpec, Matrix, plan, run_cell, run_matrix, workers_for
from chaos.sensitivity.outcomes import Outcome, Result, read_junit
from chaos.sensitivity.render import render_cell, render_matrix

__all__ = [
    "Cell", "CellSpec", "Matrix", "Outcome", "Result", "plan", "read_junit", "render_cell", "render_matrix",
    "run_cell", "run_matrix", "workers_for",
]
