"""The plugin as users meet it: a broken target stops the run, undeclared contracts skip without
starting anything, and an experiment's outcome (passed, failed, inconclusive) is the test's result,
with the evidence instead of a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.hostile_targets import HOSTILE, Hostile

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "fixtures" / "sut" / "chaos.toml"
RUN_TIMEOUT_S = 180


def pytest_run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                           *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          check=False)


def only_contract(tmp_path: Path, keep: str) -> Path:
    """The reference target with every contract but `keep` removed (and its cwd made absolute)."""
    text = REFERENCE.read_text().replace('cwd = ".."', f'cwd = "{ROOT / "fixtures"}"')
    head, _, contracts = text.partition("[contracts.")
    tables = ("[contracts." + contracts).split("\n[contracts.")
    kept = [t if t.startswith("[contracts.") else "[contracts." + t for t in tables
            if t.removeprefix("[contracts.").startswith(keep + "]")]
    path = tmp_path / "chaos.toml"
    path.write_text(head + "\n".join(kept))
    return path


def test_a_broken_target_is_a_usage_error_naming_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "chaos.toml"
    bad.write_text('[service]\ncommand = "python"\nurl = "http://10.0.0.1:{port}"\nhealth = "/health"\n'
                   '[contracts.db_restrat]\nrequest = "GET /"\n')
    done = pytest_run(ROOT / "experiments", "--chaos-target", bad, cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "[service].command: expected a non-empty list of strings" in done.stderr
    assert "'10.0.0.1' is not a loopback address" in done.stderr
    assert "did you mean 'db_restart'" in done.stderr
    assert "Traceback" not in done.stderr


def test_undeclared_contracts_skip_with_the_reason_and_start_nothing(tmp_path: Path) -> None:
    target = only_contract(tmp_path, "readiness")
    done = pytest_run(ROOT / "experiments" / "test_cache.py", "--chaos-target", target, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert re.search(r"2 skipped", done.stdout), done.stdout
    assert "declares no [contracts.cache_fallback]" in done.stdout


def test_outcomes_become_test_results_with_evidence(tmp_path: Path) -> None:
    target = only_contract(tmp_path, "readiness")
    (tmp_path / "test_outcomes.py").write_text('''
import pytest
from chaos.contracts import Status, Verdict
from chaos.faults import InvalidRequests
from chaos.observe import RequestSpec


@pytest.mark.chaos_contract("readiness")
def test_fault_without_trace_is_inconclusive(experiment, contract):
    # /health answers 200: nothing is rejected, so the fault's receipt stays empty
    fault = InvalidRequests(base_url=experiment.base_url, request=RequestSpec.parse("GET /health"), count=2,
                            timeline=experiment.timeline)
    with experiment.fault(fault):
        pass
    experiment.check(Verdict(contract="always", status=Status.PASSED, summary="fine", evidence=(), figures={}))


@pytest.mark.chaos_contract("readiness")
def test_broken_contract_fails_with_its_evidence(experiment, contract):
    experiment.check(Verdict(contract="the promise", status=Status.FAILED, summary="it broke",
                             evidence=("+1.000 s GET /x -> 500",), figures={}))


@pytest.mark.chaos_contract("readiness")
def test_passing_contract_passes(experiment, contract):
    experiment.steady_state()
    experiment.check(Verdict(contract="the promise", status=Status.PASSED, summary="held", evidence=(), figures={}))
''')
    done = pytest_run(tmp_path / "test_outcomes.py", "--chaos-target", target, cwd=tmp_path)
    out = done.stdout
    assert "2 failed, 1 passed" in out, out
    assert "INCONCLUSIVE: fault invalid_requests(GET /health): the fault left no trace" in out
    assert "FAILED: the promise: it broke" in out
    assert "+1.000 s GET /x -> 500" in out
    assert "def test_broken_contract_fails_with_its_evidence" not in out   # no traceback, the evidence


def test_an_unknown_contract_is_a_usage_error_with_a_did_you_mean(tmp_path: Path) -> None:
    """Not "everything deselected, exit 5": the typo is named, with the contract it probably meant."""
    done = pytest_run(ROOT / "experiments", "--chaos-contract", "cache_falback", cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--chaos-contract 'cache_falback': no such contract; did you mean 'cache_fallback'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failed_environment_is_one_error_with_its_log_and_the_rest_skip(tmp_path: Path) -> None:
    """A service that exits at once: one error saying so (not "not ready after 20 s"), with the log
    tail, in the first experiment; every other experiment skips under that one reason."""
    crash = '["{python}", "-c", "import sys; print(\'boom: no config\', flush=True); sys.exit(3)"]'
    text = REFERENCE.read_text().replace('cwd = ".."', f'cwd = "{ROOT / "fixtures"}"')
    target = tmp_path / "chaos.toml"
    target.write_text(text.replace('command = ["{python}", "-m", "sut"]', f"command = {crash}"))
    done = pytest_run(ROOT / "experiments", "--chaos-target", target, "-n", "0", cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1, out
    assert re.search(r"14 skipped, 1 error in ", out), out
    (first,) = re.findall(r"ERROR at setup of (\w+)", out)
    assert re.search(r"could not start the local environment: the SUT \(http://127\.0\.0\.1:\d+\) exited with "
                     r"code 3 after \d+\.\d s, before it was ready\n--- last lines of ", out), out
    assert out.count("\nboom: no config\n") == 1              # the log tail, once
    assert "not ready after" not in out
    assert re.search(rf"SKIPPED \[14\] .*: not run: could not start the local environment: the SUT .* exited "
                     rf"with code 3 .*\(reported once, as the error of experiments/\w+\.py::{first}\)", out), out
    assert len(out.splitlines()) < 80, out                    # it was 3,415 lines for 15 errors


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
def test_a_hostile_target_is_one_usage_error_never_an_internal_error(tmp_path: Path, hostile: Hostile) -> None:
    bad = hostile.write(tmp_path)
    (tmp_path / "test_nothing.py").write_text("def test_nothing() -> None:\n    pass\n")
    done = pytest_run("--chaos-target", bad, cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr == f"ERROR: {bad}: {hostile.problem(bad)}\n(target file from --chaos-target)\n\n"
    assert "INTERNALERROR" not in done.stdout + done.stderr


def test_a_hostile_target_from_the_environment_or_the_ini_file_names_its_source(tmp_path: Path) -> None:
    hostile = HOSTILE[0]
    bad = hostile.write(tmp_path)
    (tmp_path / "test_nothing.py").write_text("def test_nothing() -> None:\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
                          env={**os.environ, "CHAOS_TARGET": str(bad)})
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr == (f"ERROR: {bad}: {hostile.problem(bad)}\n"
                           "(target file from CHAOS_TARGET environment variable)\n\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nchaos_target = chaos.toml\n")
    done = pytest_run(cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr == f"ERROR: {bad}: {hostile.problem(bad)}\n(target file from chaos_target in the ini file)\n\n"


def test_a_target_with_20000_problems_prints_25_of_them(tmp_path: Path) -> None:
    bad = tmp_path / "chaos.toml"
    bad.write_text('[service]\ncommand = ["true"]\nurl = "http://127.0.0.1:{port}"\nhealth = "/h"\n'
                   + "".join(f"k{i} = {i}\n" for i in range(20_000)))
    (tmp_path / "test_nothing.py").write_text("def test_nothing() -> None:\n    pass\n")
    done = pytest_run("--chaos-target", bad, "-n", "2", cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"ERROR: {bad}: invalid target file:"
    assert lines[1].startswith("  [service].k0: unknown key (allowed: allow_remote, command, ")
    assert lines[25] == "  [service].k24: unknown key"
    assert lines[26:] == ["  ... and 19975 more problems", "(target file from --chaos-target)", ""]
    assert "INTERNALERROR" not in done.stdout + done.stderr
