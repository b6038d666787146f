"""`chaos report JOURNALS... -o DIR`: re-render a stored run; refuse what is not a journal, naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chaos.cli import main

CLI_TIMEOUT_S = 60


def _chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, check=False)


def test_report_re_renders_stored_journals(catalog_run: Any, tmp_path: Path) -> None:
    assert catalog_run.returncode == 0, catalog_run.output
    out = tmp_path / "again"
    done = _chaos("report", str(catalog_run.report_dir / "journals"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("chaos scorecard: 1 passed (1 experiment, ")
    assert "test_readiness_flips_while_the_db_is_unreachable" in done.stdout
    assert f"wrote {out / 'index.html'} (1 journal)" in done.stdout
    # the page is a function of the journals: the same bytes as the one the run wrote
    assert (out / "index.html").read_bytes() == (catalog_run.report_dir / "index.html").read_bytes()
    # a report directory works too, as do single files
    again = _chaos("report", str(catalog_run.report_dir), *map(str, catalog_run.journals), "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert "(2 journals)" in again.stdout


def test_report_refuses_what_is_not_a_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1}')
    out = str(tmp_path / "out")
    assert main(["report", str(bad), "-o", out]) == 2
    assert capsys.readouterr().err.startswith(
        f"chaos report: {bad}: not a valid journal: $: 'suite' is a required property")
    assert not (tmp_path / "out").exists()
    assert main(["report", str(tmp_path / "nowhere"), "-o", out]) == 2
    assert "nowhere: no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "-o", out]) == 2
    assert "no journal (*.json) found there" in capsys.readouterr().err
