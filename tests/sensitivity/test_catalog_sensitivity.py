"""Every experiment of the catalog passes on the healthy reference service and fails, naming the
broken contract, when the defect that breaks that contract is switched on.

Each case is one contract: its experiments run in a fresh pytest (their own environment) on the
healthy service, then once per defect the target file lists for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.sensitivity import CellSpec, Outcome, render_cell, run_cell
from chaos.targetfile import load_target

ROOT = Path(__file__).resolve().parents[2]
TARGET = load_target(ROOT / "fixtures" / "sut" / "chaos.toml")
EXPERIMENTS = ROOT / "experiments"


def test_every_contract_of_the_catalog_names_a_defect() -> None:
    assert len(TARGET.contracts) == 13
    assert [name for name, spec in TARGET.contracts.items() if not spec.defects] == []


@pytest.mark.parametrize("contract", list(TARGET.contracts))
def test_experiments_pass_healthy_and_fail_on_their_defect(contract: str) -> None:
    healthy = run_cell(CellSpec(contract=contract, defect=None), target=TARGET, experiments=EXPERIMENTS)
    assert healthy.results, f"no experiment ran for {contract}:\n{healthy.log_tail}"
    assert healthy.clean, render_cell(healthy) + "\n" + "\n".join(
        f"{r.test}: {r.outcome}: {r.message}" for r in healthy.results) + "\n" + healthy.log_tail
    for defect in TARGET.contracts[contract].defects:
        cell = run_cell(CellSpec(contract=contract, defect=defect), target=TARGET, experiments=EXPERIMENTS)
        assert cell.detected, render_cell(cell) + "\n" + "\n".join(
            f"{r.test}: {r.outcome}: {r.message}" for r in cell.results) + "\n" + cell.log_tail
        failed = [r for r in cell.results if r.outcome is Outcome.FAILED]
        # the message names what broke: "FAILED: <check>: <what was observed>"
        assert all(r.message.startswith("FAILED: ") and ":" in r.message[len("FAILED: "):] for r in failed)
