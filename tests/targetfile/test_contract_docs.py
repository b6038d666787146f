"""docs/contracts.md is what `chaos contracts` prints: generated from the catalog, never edited by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chaos.targetfile import CONTRACTS
from chaos.targetfile.reference import contract_reference, document

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "contracts.md"


def test_docs_match_the_catalog() -> None:
    assert DOCS.read_text() == document(), (
        "docs/contracts.md differs from the catalog: regenerate it with `chaos contracts > docs/contracts.md`")


def test_every_contract_has_a_section_with_its_parameters_checks_and_faults() -> None:
    for name, contract in CONTRACTS.items():
        section = contract_reference(name)
        assert section.startswith(f"## `{name}`")
        for param in contract.params:
            assert f"| `{param}` |" in section, (name, param)
        for check in contract.checks:
            assert f"| `{check.name}` |" in section, (name, check.name)
        for fault in contract.faults:
            assert fault in section


def test_the_cli_prints_the_reference_and_names_a_typo() -> None:
    full = _chaos("contracts")
    assert full.returncode == 0
    assert full.stdout == document()
    one = _chaos("contracts", "db_restart")
    assert one.returncode == 0
    assert one.stdout.startswith("## `db_restart`")
    assert "fail_within_s" in one.stdout
    typo = _chaos("contracts", "db_restat")
    assert typo.returncode == 2
    assert typo.stderr.strip() == "chaos contracts: unknown contract 'db_restat'; did you mean 'db_restart'?"


def _chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True, text=True, timeout=60,
                          check=False)
