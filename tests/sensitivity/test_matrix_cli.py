"""`chaos matrix` refuses a contract it cannot run, instead of running 0 cells and passing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def matrix(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", "matrix", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_misspelt_contract_gets_a_did_you_mean_and_exit_2() -> None:
    done = matrix("--contract", "cache_falback")
    assert done.returncode == 2
    assert done.stdout == ""   # nothing ran: no "0 cells" header
    assert done.stderr.startswith("chaos matrix: --contract 'cache_falback': no such contract; "
                                  "did you mean 'cache_fallback'? (known: booking_race, cache_fallback, ")


def test_a_contract_the_target_does_not_declare_is_named(tmp_path: Path) -> None:
    target = tmp_path / "chaos.toml"
    target.write_text('[service]\ncommand = ["{python}", "-c", "pass"]\nurl = "http://127.0.0.1:{port}"\n'
                      'health = "/"\n')
    done = matrix("--target", str(target), "--contract", "readiness")
    assert done.returncode == 2
    assert done.stderr == (f"chaos matrix: --contract 'readiness': {target} declares no [contracts.readiness] "
                           "(declared: none)\n")
