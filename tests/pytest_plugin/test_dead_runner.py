"""A runner SIGKILLed mid-fault leaves nothing behind: the proxy reverts the leased fault by itself
within the lease, and the next run reaps the environment the dead runner started.

Honest set-up: the proxy must outlive the runner, so it is a standalone `chaos proxy` started here
(its own session, not a child of the runner), used by the runner through TOXIPROXY_URL as a shared
Toxiproxy would be. The runner is a real pytest with the plugin, an environment and a ToxicFault;
CHAOS_STATE_DIR isolates its registry from every other run on the machine, TMPDIR its work dirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.envs import write_target

from chaos.env.registry import Registry
from chaos.proxy import ToxiproxyClient
from chaos.waiting import wait_until

LEASE_S = 2.0
# The lease timer fires within milliseconds of expiry; the bound allows for polling and a loaded
# 2-core machine. The toxic must also still be there right after the kill (renewals ran to the end).
LAPSE_TOLERANCE_S = 1.5

SERVICE = '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
[service.env]
EXTERNAL_API_URL = "{external.url}"
'''

RUNNER = f'''
import json, os, time
from pathlib import Path
from chaos.faults import ToxicFault, injected

def test_holds_a_fault(chaos_env):
    dep = chaos_env.dependency("external")
    fault = ToxicFault(client=chaos_env.proxy, dependency=dep, toxic_type="latency",
                       attributes={{"latency": 100}}, lease_s={LEASE_S})
    with injected(fault) as receipt:
        state = {{"proxy": dep.proxy_name, "workdir": str(chaos_env.workdir), "notes": receipt.notes,
                  "sut_pid": chaos_env.sut.pid(), "upstream_pid": dep.pid()}}
        Path(os.environ["CHAOS_TEST_STATE"]).write_text(json.dumps(state))
        time.sleep(60)
'''

FRESH = '''
def test_starts_again(chaos_env):
    assert chaos_env.sut.pid()
'''


@pytest.fixture
def standalone_proxy(tmp_path: Path) -> Iterator[str]:
    """`chaos proxy` in a session of its own; SIGTERM then SIGKILL to its group at the end."""
    ready = tmp_path / "proxy.ready"
    proc = subprocess.Popen([sys.executable, "-m", "chaos", "proxy", "--host", "127.0.0.1", "--port", "0",
                             "--ready-file", str(ready)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: ready.is_file() or proc.poll() is not None, timeout_s=20, what="chaos proxy ready")
        assert proc.poll() is None, "chaos proxy exited at start"
        yield f"http://{ready.read_text().strip()}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def runner(tmp_path: Path, test_file: Path, proxy_url: str, **extra_env: str) -> subprocess.Popen[str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    target = write_target(tmp_path, SERVICE, deps='[dependencies.external]\nkind = "http"\n')
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(test_file),
         "--chaos-target", str(target), f"--basetemp={tmp_path / 'base'}"],
        cwd=tmp_path, env={**os.environ, "TOXIPROXY_URL": proxy_url, "TMPDIR": str(tmp_path / "tmp"),
                           "CHAOS_STATE_DIR": str(tmp_path / "state"), **extra_env},
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_sigkilled_runner_leaves_no_fault_and_its_environment_is_reaped(tmp_path: Path,
                                                                         standalone_proxy: str) -> None:
    state = tmp_path / "state.json"
    (tmp_path / "test_hold.py").write_text(RUNNER)
    proc = runner(tmp_path, tmp_path / "test_hold.py", standalone_proxy, CHAOS_TEST_STATE=str(state))
    client = ToxiproxyClient(standalone_proxy)
    try:
        wait_until(lambda: state.exists() or proc.poll() is not None, timeout_s=60, what="fault injected")
        assert state.exists(), proc.communicate(timeout=10)[0]
        info = json.loads(state.read_text())
        assert any(note.startswith(f"leased for {LEASE_S:g} s") for note in info["notes"]), info["notes"]
        time.sleep(LEASE_S * 1.5)  # past the first lease: only the runner's renewals keep the toxic
        assert [t.name for t in client.toxics(info["proxy"])] == ["chaos_latency_downstream"]

        os.killpg(proc.pid, signal.SIGKILL)  # pytest's own group; its children die by PDEATHSIG
        killed = time.monotonic()
        proc.wait(10)
        assert [t.name for t in client.toxics(info["proxy"])] == ["chaos_latency_downstream"]
        wait_until(lambda: client.toxics(info["proxy"]) == [], timeout_s=LEASE_S + LAPSE_TOLERANCE_S,
                   interval_s=0.05, what="the dead runner's toxic reverted by its lease")
        lapsed_after_s = time.monotonic() - killed
        print(f"toxic gone {lapsed_after_s:.2f} s after the SIGKILL (lease {LEASE_S:g} s)")
        assert client.leases() == []

        # what the dead runner left: its proxy on the shared server, its work dir, its registry record
        registry = Registry(tmp_path / "state")
        (record,) = list(registry.records())
        assert not record.owner_alive()
        assert info["proxy"] in client.proxies()
        assert Path(info["workdir"]).exists()
        wait_until(lambda: not alive(info["sut_pid"]) and not alive(info["upstream_pid"]), timeout_s=10,
                   what="the dead runner's processes gone (parent-death signal)")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    (tmp_path / "test_fresh.py").write_text(FRESH)
    again = runner(tmp_path, tmp_path / "test_fresh.py", standalone_proxy)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    assert info["proxy"] not in client.proxies()  # reaped from the shared server
    assert not Path(info["workdir"]).exists()
    assert list(registry.records()) == []
    assert client.proxies() == {}  # the second run closed its own environment too
    client.close()
