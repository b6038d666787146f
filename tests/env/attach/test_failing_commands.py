"""A fault command that fails or times out aborts the experiment cleanly: the undo of what was done
runs, every other fault in place is healed at once, the journal records the command with its exit
code, and the deployment is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.deployment import ROOT, Deployment

from chaos.report import journal_from_data, journal_to_data, schema_problems

NESTED = '''
from chaos.faults import DependencyStopped, ToxicFault

def test_nested_faults(experiment):
    db, redis = experiment.env.dependency("postgres"), experiment.env.dependency("redis")
    with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="latency",
                                     attributes={"latency": 10})):
        with experiment.fault(DependencyStopped(dependency=redis)):
            experiment.hold(5.0)
'''


def run(deployment: Deployment, target: Path, tests: str, report: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", tests,
                           "--chaos-target", str(target), "--chaos-report", str(report), *args],
                          capture_output=True, text=True, env=deployment.environ, cwd=ROOT, timeout=300, check=False)


def journal(report: Path) -> dict[str, Any]:
    (path,) = (report / "journals").glob("*.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def with_command(deployment: Deployment, name: str, component: str, action: str, command: str) -> Path:
    text = deployment.write_target().read_text()
    table = f"[attach.dependencies.{component}]\n"
    start = text.index(table)
    end = text.find("\n[", start + len(table))
    body = text[start:end if end != -1 else len(text)]
    patched = "\n".join(f"{action} = {command}" if line.startswith(f"{action} = ") else line
                        for line in body.splitlines())
    path = deployment.dir / name
    path.write_text(text[:start] + patched + (text[end:] if end != -1 else ""))
    return path


def test_a_failing_command_aborts_and_heals_every_fault_in_place(deployment: Deployment, tmp_path: Path) -> None:
    target = with_command(deployment, "fail.toml", "redis", "stop", '"./ctl.sh {name} fail"')
    tests = tmp_path / "test_nested.py"
    tests.write_text(NESTED)
    pids, proxies = deployment.pids(), deployment.proxy_state()
    done = run(deployment, target, str(tests), tmp_path / "report", f"--rootdir={tmp_path}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("ABORTED: experiment test_nested_faults aborted: command stop redis: `./ctl.sh redis fail` exited with "
            "code 3 after ") in done.stdout
    assert "refusing on purpose (a failing command)" in done.stdout
    assert "healed at once: latency(postgres): remove toxic chaos_latency_downstream from postgres" in done.stdout
    data = journal(tmp_path / "report")
    assert data["outcome"] == "aborted"
    assert data["outcome_detail"].startswith("aborted: command stop redis: `./ctl.sh redis fail` exited with code 3")
    stop = next(c for c in data["commands"] if c["what"] == "stop redis")
    assert (stop["exit_code"], stop["timed_out"], stop["command"]) == (3, False, "./ctl.sh redis fail")
    latency, stopped = data["faults"]
    assert stopped["name"] == "stop(redis)"
    assert stopped["revert_steps"] == ["start redis"]
    assert latency["revert_steps"][-1] == "remove toxic chaos_latency_downstream from postgres"
    assert "healed at once: the experiment was aborted by command stop redis" in latency["notes"]
    assert schema_problems(data) == []
    assert journal_to_data(journal_from_data(data)) == data      # mode, Toxiproxy and commands round-trip
    page = (tmp_path / "report" / "index.html").read_text()
    assert "mode <b>attach</b>" in page
    assert "Commands run on the deployment" in page
    assert '<tr class="command failed" data-exit-code="3">' in page
    assert "<code>./ctl.sh redis fail</code>" in page
    assert deployment.pids() == pids
    assert deployment.proxy_state() == proxies


def test_a_command_past_its_timeout_is_killed_and_aborts_the_catalog_experiment(deployment: Deployment,
                                                                                 tmp_path: Path) -> None:
    target = with_command(deployment, "hang.toml", "postgres", "stop",
                          '{ run = "./ctl.sh {name} hang", timeout_s = 1 }')
    pids, proxies = deployment.pids(), deployment.proxy_state()
    started = time.monotonic()
    done = run(deployment, target, "experiments/test_database.py", tmp_path / "report", "-k", "db_restart")
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - started < 120   # the hang (30 s) was cut at 1 s, not waited out
    assert ("ABORTED: experiment test_db_restart_fails_fast_and_recovers aborted: command stop postgres: "
            "`./ctl.sh postgres hang` timed out after 1.") in done.stdout
    data = journal(tmp_path / "report")
    assert data["outcome"] == "aborted"
    assert data["mode"] == "attach"
    stop = next(c for c in data["commands"] if c["what"] == "stop postgres")
    assert stop["exit_code"] is None
    assert stop["timed_out"]
    assert 1.0 <= stop["duration_s"] < 5.0
    (restart,) = data["faults"]
    assert restart["revert_steps"] == ["make sure postgres runs"]
    assert restart["reverted_cleanly"]
    assert deployment.pids() == pids       # postgres was never stopped: the undo found it running
    assert deployment.proxy_state() == proxies
