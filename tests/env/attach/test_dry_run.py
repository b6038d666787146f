"""`--chaos-plan` against the loopback deployment: every fault announced with where, how long and which
command, the load and the checks; nothing injected (the proxies' state and the service's PIDs are
unchanged), no secret printed. An experiment the target lacks commands for is skipped, saying which."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.deployment import ADMIN_ENV, ADMIN_PASSWORD, ROOT, SERVICE_COMMANDS, Deployment


def pytest_run(deployment: Deployment, target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "experiments/", "--chaos-target", str(target), *args],
                          capture_output=True, text=True, env=deployment.environ, cwd=ROOT, timeout=300, check=False)


def test_the_dry_run_announces_every_fault_and_injects_nothing(deployment: Deployment) -> None:
    # a command that carries a secret: the plan shows it masked
    target = deployment.write_target(attach_extra="").read_text().replace(
        '[attach.dependencies.postgres]\n', f'[attach.dependencies.postgres]\nready = "./ctl.sh postgres pid # '
                                            f'{{env.{ADMIN_ENV}}}"\n', 1)
    path = deployment.dir / "plan.toml"
    path.write_text(target)
    pids, proxies = deployment.pids(), deployment.proxy_state()
    done = pytest_run(deployment, path, "--chaos-plan", "--chaos-report", str(deployment.dir / "plan-report"))
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert deployment.pids() == pids                 # no restart, no signal
    assert deployment.proxy_state() == proxies       # no toxic, no switch, no lease
    assert not (deployment.dir / "plan-report" / "journals").exists() or not list(
        (deployment.dir / "plan-report" / "journals").iterdir())     # nothing ran, so nothing was journalled
    assert out.startswith("chaos plan (dry run): nothing is started, injected or sent.")
    assert f"  Toxiproxy: {deployment.proxy_url} (read only: 3 proxies)" in out
    assert "  15 experiments, 15 would run, one at a time" in out
    drain = out[out.index("test_sigterm_drains_in_flight_requests"):]
    assert "  fault 1: signal(sut, SIGTERM): SIGTERM to the service" in drain
    assert "    runs: signal: `./ctl.sh sut signal TERM` (timeout 30 s)" in drain
    restart = out[out.index("test_db_restart_fails_fast_and_recovers"):]
    assert "  fault 1: restart(postgres): stop postgres, keep it down, start it; down for 2.50 s" in restart
    assert "    runs: stop: `./ctl.sh postgres stop` (timeout 30 s)" in restart
    blackhole = out[out.index("test_no_request_outlives_the_request_timeout"):]
    assert ("  load: GET /api/items?page=1&per_page=10: open model at 10/s until the experiment ends: at most "
            in blackhole)
    assert (f"    where: postgres behind proxy 'postgres' on {deployment.proxy_url} (listens on 127.0.0.1:"
            in blackhole)
    assert "  checks: steady state before, bounded, steady state after" in blackhole
    assert ADMIN_PASSWORD not in out + done.stderr
    assert "no tests ran" in out


def test_an_experiment_without_its_commands_is_skipped_naming_them(deployment: Deployment) -> None:
    commands = "\n".join(line for line in SERVICE_COMMANDS.splitlines()
                         if not line.startswith(("signal", "pid", "exit_code")))
    path = deployment.write_target(name="no-signal.toml", service_commands=commands)
    plan = pytest_run(deployment, path, "--chaos-plan", "-k", "sigterm or lockout or pool_error")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert ("  skipped (attach mode): the target does not declare [attach.service].signal; [attach.service].pid; "
            "[attach.service].exit_code") in plan.stdout
    assert "  skipped (attach mode): the target does not declare [attach.service].pid and exit_code" in plan.stdout
    pids = deployment.pids()
    run = pytest_run(deployment, path, "-k", "sigterm", "-rs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": attach mode: no-signal.toml does not declare [attach.service].signal; [attach.service].pid; " \
           "[attach.service].exit_code" in run.stdout
    assert "1 skipped, 14 deselected" in run.stdout
    assert deployment.pids() == pids
