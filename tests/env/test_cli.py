"""`chaos doctor`, and the user-facing errors of `chaos up` / `chaos down` (no environment needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.hostile_targets import HOSTILE, Hostile

from chaos.cli.doctor_cmd import Status, run_checks


def chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_doctor_reports_what_the_local_backend_needs() -> None:
    result = chaos("doctor")
    assert result.returncode == 0, result.stdout
    for line in ("postgres", "postgres user", "redis-server", "package psycopg", "docker engine",
                 "TOXIPROXY_URL"):
        assert f"  {line} " in result.stdout
    assert "everything the local backend needs is here" in result.stdout


def test_doctor_checks_a_configured_toxiproxy() -> None:
    checks = {c.what: c for c in run_checks("http://127.0.0.1:9")}   # nothing listens on port 9
    assert checks["TOXIPROXY_URL"].status is Status.WARN
    assert "does not answer" in checks["TOXIPROXY_URL"].detail
    assert all(c.status is not Status.MISSING for c in checks.values())


def test_up_with_a_broken_target_is_one_line_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "chaos.toml"
    bad.write_text('[service]\ncommand = ["true"]\nurl = "http://127.0.0.1:{prot}"\nhealth = "/"\n')
    result = chaos("up", "--target", str(bad), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 2
    assert "[service].url: unknown template name {prot}" in result.stderr
    assert "did you mean {port}?" in result.stderr
    assert "Traceback" not in result.stderr


def test_down_with_nothing_running(tmp_path: Path) -> None:
    result = chaos("down", "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 0
    assert "no environments" in result.stdout
    missing = chaos("down", "--id", "nope", "--state-dir", str(tmp_path / "state"))
    assert missing.returncode == 2
    assert "no environment 'nope'" in missing.stderr


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
def test_up_with_a_hostile_target_exits_2_with_the_loader_text(tmp_path: Path, hostile: Hostile) -> None:
    bad = hostile.write(tmp_path)
    for detach in ((), ("--detach",)):   # told before anything starts, in the background or not
        result = chaos("up", *detach, "--target", str(bad), "--state-dir", str(tmp_path / "state"))
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr == f"chaos up: {bad}: {hostile.problem(bad)}\n"
        assert result.stdout == ""
    assert not (tmp_path / "state").exists()   # nothing was started, nothing logged
