"""A runner SIGKILLed mid-fault in attach mode leaves nothing behind within one lease: its proxy fault
is reverted by the Toxiproxy's lease, its command fault (which no lease covers) by the watchdog it
armed, and nothing of the runner outlives it; the next run finds nothing to heal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.deployment import ROOT, Deployment, processes

from chaos.env.attach import AttachBackend
from chaos.proxy import ToxiproxyClient
from chaos.targetfile import load_target
from chaos.waiting import wait_until

LEASE_S = 2.0
# The lease timer fires within milliseconds of expiry; the bound allows for polling and a loaded
# 2-core machine (as tests/pytest_plugin/test_dead_runner.py, the managed twin of this test).
LAPSE_TOLERANCE_S = 1.5

RUNNER = f'''
import json, os, time
from pathlib import Path
from chaos.faults import DependencyStopped, ToxicFault, injected

def test_holds_two_faults(chaos_env):
    db, redis = chaos_env.dependency("postgres"), chaos_env.dependency("redis")
    toxic = ToxicFault(client=chaos_env.proxy, dependency=db, toxic_type="latency", attributes={{"latency": 100}},
                       lease_s={LEASE_S})
    with injected(toxic) as receipt, injected(DependencyStopped(dependency=redis)):
        Path(os.environ["CHAOS_TEST_STATE"]).write_text(json.dumps({{"notes": receipt.notes}}))
        time.sleep(60)
'''


def watchdogs_of(log: Path) -> list[int]:
    """Live watchdog processes writing `log` (found by their command line; never signalled)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"chaos.env.attach" in argv and str(log).encode() in argv:
                found.append(int(entry.name))
    return found


def test_a_sigkilled_runner_leaves_nothing_behind_within_one_lease(deployment: Deployment,
                                                                                  tmp_path: Path) -> None:
    target = deployment.write_target()
    tests, state = tmp_path / "test_hold.py", tmp_path / "state.json"
    tests.write_text(RUNNER)
    before = deployment.pids()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                             str(tests), "--chaos-target", str(target), f"--rootdir={tmp_path}",
                             f"--basetemp={tmp_path / 'base'}"],
                            cwd=ROOT, env={**deployment.environ, "CHAOS_TEST_STATE": str(state)},
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = ToxiproxyClient(deployment.proxy_url)
    try:
        wait_until(lambda: state.exists() or proc.poll() is not None, timeout_s=60, what="faults injected")
        assert state.exists(), proc.communicate(timeout=10)[0]
        assert any(n.startswith(f"leased for {LEASE_S:g} s") for n in json.loads(state.read_text())["notes"])
        assert deployment.pid("redis") is None
        time.sleep(LEASE_S * 1.5)   # past the first lease: only the runner's renewals keep the toxic
        assert [t.name for t in client.toxics("postgres")] == ["chaos_latency_downstream"]

        os.killpg(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        proc.wait(10)
        wait_until(lambda: client.toxics("postgres") == [], timeout_s=LEASE_S + LAPSE_TOLERANCE_S, interval_s=0.05,
                   what="the dead runner's toxic reverted by its lease")
        print(f"toxic gone {time.monotonic() - killed:.2f} s after the SIGKILL (lease {LEASE_S:g} s)")
        assert client.leases() == []
        # the watchdog started Redis again (the repair armed before the stop), within the same bound
        wait_until(lambda: deployment.pid("redis") is not None, timeout_s=LEASE_S + LAPSE_TOLERANCE_S,
                   interval_s=0.05, what="the dead runner's stopped Redis started by its watchdog")
        print(f"redis back {time.monotonic() - killed:.2f} s after the SIGKILL")
        wait_until(lambda: processes(session=proc.pid) == [], timeout_s=10, what="nothing of the runner left")
        log = tmp_path / "base" / "env-main0" / "watchdog.log"
        wait_until(lambda: "start redis: exit code 0" in log.read_text(), timeout_s=10, what="the watchdog's log")
        assert log.read_text().startswith("the runner went away with 1 command fault(s) in place")
        wait_until(lambda: not watchdogs_of(log), timeout_s=10, what="the watchdog exited")
        after = deployment.pids()
        assert {k: v for k, v in after.items() if k != "redis"} == {k: v for k, v in before.items() if k != "redis"}
        assert after["redis"] not in (None, before["redis"])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    env = AttachBackend(environ=deployment.environ).start(load_target(target, environ=deployment.environ))
    env.close()
    assert env.reaped == []     # nothing was left for the next run to heal
    assert client.toxics("postgres") == []
    assert all(p.enabled for p in client.proxies().values())
    client.close()
