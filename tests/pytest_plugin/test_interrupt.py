"""Nothing left behind: pytest interrupted (Ctrl-C, SIGTERM) in the middle of an environment's life
reaps every process it started, frees its ports and removes its data dirs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "fixtures" / "sut" / "chaos.toml"

EXPERIMENT = '''
import json, os, time
from pathlib import Path

def test_long(chaos_env):
    env = chaos_env
    pids = [env.sut.pid()] + [d.pid() for d in env.dependencies.values()]
    ports = [d.direct.port for d in env.dependencies.values()] + [d.proxied.port for d in env.dependencies.values()]
    info = {"pids": pids, "ports": ports, "workdir": str(env.workdir)}
    Path(os.environ["CHAOS_TEST_STATE"]).write_text(json.dumps(info))
    time.sleep(60)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_pytest_leaves_nothing_behind(tmp_path: Path, sig: signal.Signals) -> None:
    (tmp_path / "test_long.py").write_text(EXPERIMENT)
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_long.py"),
         "--chaos-target", str(TARGET), f"--basetemp={tmp_path / 'base'}"],
        cwd=tmp_path, env={**os.environ, "CHAOS_TEST_STATE": str(state)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: state.exists() or proc.poll() is not None, timeout_s=60, what="environment up")
        assert state.exists(), proc.communicate(timeout=10)[0]
        info = json.loads(state.read_text())
        assert all(_alive(pid) for pid in info["pids"] if pid)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert proc.returncode != 0, out
    # bounded: reaping takes a moment after pytest returns only if something is wrong
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in info["pids"] if p):
        time.sleep(0.1)
    assert [p for p in info["pids"] if p and _alive(p)] == [], out
    assert [p for p in info["ports"] if _listening(p)] == [], out
    assert not Path(info["workdir"]).exists(), out
