"""Every experiment of the catalog passes on the healthy reference service and fails, naming the
broken contract, when the defect that breaks that contract is switched on; and so it does when the
service follows other conventions for the same contracts (a cache marker in a header, in a nested
field or none, no readiness endpoint, the listener closed at SIGTERM, 500 instead of 503, an API
token), each described by a variant target file alone (fixtures/sut/variants/).

Each case is one contract of one target file: its experiments run in a fresh pytest (their own
environment) on the healthy service, then once per defect the target file lists for it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from chaos.contracts import Status, Verdict
from chaos.report import read_journals
from chaos.sensitivity import Cell, CellSpec, Outcome, render_cell, run_cell
from chaos.targetfile import Target, load_target

ROOT = Path(__file__).resolve().parents[2]
SUT = ROOT / "fixtures" / "sut"
EXPERIMENTS = ROOT / "experiments"
TOKEN_VAR = "SUT_API_TOKEN"
"""What variants/headers.toml takes the service's API token from ({env.SUT_API_TOKEN})."""
API_TOKEN = secrets.token_urlsafe(24)
"""This test run's token: set for the cells' pytest runs, long enough to be masked in their output."""

TARGETS: dict[str, Target] = {
    name: load_target(SUT / path, environ={**os.environ, TOKEN_VAR: API_TOKEN})
    for name, path in (("reference", "chaos.toml"), ("headers", "variants/headers.toml"),
                       ("nested", "variants/nested.toml"), ("bare", "variants/bare.toml"))
}
REFERENCE = TARGETS["reference"]
CACHE_CHECK = "cache used again"


def test_every_contract_of_the_catalog_names_a_defect() -> None:
    assert len(REFERENCE.contracts) == 13
    assert [name for name, spec in REFERENCE.contracts.items() if not spec.defects] == []


@pytest.mark.parametrize(("variant", "contracts"), [
    ("headers", sorted(set(REFERENCE.contracts) - {"readiness"})),   # no_readiness: nothing to declare it on
    ("nested", sorted(REFERENCE.contracts)),
    ("bare", ["cache_fallback"]),
])
def test_variants_declare_what_their_conventions_allow_with_the_reference_defects(
        variant: str, contracts: list[str]) -> None:
    target = TARGETS[variant]
    assert sorted(target.contracts) == contracts
    assert {n: s.defects for n, s in target.contracts.items()} == \
           {n: REFERENCE.contracts[n].defects for n in target.contracts}


def _explain(cell: Cell) -> str:
    return render_cell(cell) + "\n" + "\n".join(
        f"{r.test}: {r.outcome}: {r.message}" for r in cell.results) + "\n" + cell.log_tail


def _parts(verdict: Verdict) -> list[Verdict]:
    return [verdict, *(p for part in verdict.parts for p in _parts(part))]


@pytest.mark.parametrize(("target_name", "contract"), [
    pytest.param(name, contract, id=f"{name}-{contract}")
    for name, target in TARGETS.items() for contract in target.contracts
])
def test_experiments_pass_healthy_and_fail_on_their_defect(
        target_name: str, contract: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = TARGETS[target_name]
    monkeypatch.setenv(TOKEN_VAR, API_TOKEN)   # the cells' pytest runs load the target file again
    report = tmp_path / "report"
    healthy = run_cell(CellSpec(contract=contract, defect=None), target=target, experiments=EXPERIMENTS,
                       extra_args=["--chaos-report", str(report)])
    assert healthy.results, f"no experiment ran for {contract}:\n{healthy.log_tail}"
    assert healthy.clean, _explain(healthy)
    if contract == "cache_fallback":
        # without a declared cache marker the check is skipped and each verdict says so; with one, judged
        checks = [p for j in read_journals([report]) if j.verdict is not None
                  for p in _parts(j.verdict) if p.contract == CACHE_CHECK]
        assert len(checks) == len(healthy.results), _explain(healthy)
        expected = Status.SKIPPED if target.contracts[contract].answer("cached") is None else Status.PASSED
        assert {c.status for c in checks} == {expected}, [c.summary for c in checks]
        if expected is Status.SKIPPED:
            assert all(c.summary.startswith("not checked: ") and "cached" in c.summary for c in checks)
    for defect in target.contracts[contract].defects:
        cell = run_cell(CellSpec(contract=contract, defect=defect), target=target, experiments=EXPERIMENTS)
        assert cell.detected, _explain(cell)
        failed = [r for r in cell.results if r.outcome is Outcome.FAILED]
        # the message names what broke: "FAILED: <check>: <what was observed>"
        assert all(r.message.startswith("FAILED: ") and ":" in r.message[len("FAILED: "):] for r in failed)
