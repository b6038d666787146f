"""Stop conditions in a real run: the target's [guards] trip while a fault holds, every active fault is
healed at once, and the experiment is reported as ABORTED with the evidence, long before its hold
would have ended. The stand-in SUT is SIGSTOPped, so the load's requests time out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from support.envs import write_target

from chaos.report import Outcome, read_journal

SERVICE = '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
'''

GUARDS = '''
[guards.error_rate]
above = 0.5
for_s = 1
'''

EXPERIMENTS = '''
import signal

import httpx
from chaos.faults import SutSignalled
from chaos.observe import RequestSpec

def test_trips(experiment):
    with experiment.load(RequestSpec.parse("GET /"), rate_per_s=20, concurrency=8, duration_s=40, timeout_s=0.3):
        experiment.hold(0.5)
        with experiment.fault(SutSignalled(sut=experiment.env.sut, sig=signal.SIGSTOP)):
            experiment.hold(30)
    raise AssertionError("the hold was not cut short")

def test_the_service_was_continued(sut):
    assert httpx.get(sut.base_url + "/", timeout=2).status_code == 200
'''


def test_a_tripped_guard_heals_at_once_and_aborts(tmp_path: Path) -> None:
    (tmp_path / "test_guarded.py").write_text(EXPERIMENTS)
    target = write_target(tmp_path, SERVICE, deps=GUARDS)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q",
         str(tmp_path / "test_guarded.py"), "--chaos-target", str(target), f"--basetemp={tmp_path / 'base'}",
         "--chaos-report", str(tmp_path / "out")],
        cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}, capture_output=True,
        text=True, timeout=120, check=False)
    took = time.monotonic() - started
    out = proc.stdout + proc.stderr
    print(out)
    assert proc.returncode == 1, out
    assert "1 failed, 1 passed" in out
    assert "ABORTED: experiment test_trips aborted: stop condition error_rate>50%/1s:" in out
    assert "-> ReadTimeout at t+" in out  # the evidence: the first failed requests
    assert "healed at once: signal(sut, SIGSTOP): SIGCONT the SUT" in out
    assert "the hold was not cut short" not in out
    assert took < 30, f"the 30 s hold was not cut short: the run took {took:.0f} s"

    # the aborted experiment's journal keeps the fault as its heal left it: effects, revert, why
    [journal] = [read_journal(p) for p in (tmp_path / "out" / "journals").glob("*test_trips.json")]
    assert journal.outcome is Outcome.ABORTED
    [fault] = journal.faults
    assert fault.effects[0].startswith("SIGSTOP delivered to SUT pid ")
    assert fault.revert_steps == ("SIGCONT the SUT",)
    assert fault.notes[-1] == "healed at once: the experiment was aborted by stop condition error_rate>50%/1s"
    assert fault.reverted_offset_s is not None
    assert fault.reverted_cleanly
    page = (tmp_path / "out" / "index.html").read_text()
    assert "SIGCONT the SUT" in page
    assert "healed at once: the experiment was aborted by stop condition" in page
