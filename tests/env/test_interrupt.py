"""Nothing left behind: `chaos up` in a subprocess, interrupted, leaves no process, port or dir.

What "of it" means comes from the registry record the subprocess wrote: every process group it
started (and the descendants of their leaders, since Postgres backends leave the group), every
port it printed, its work dir.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.envs import TINY_TARGET, listening

from chaos.env.process import descendants, group_members, process_start_ticks
from chaos.env.registry import EnvRecord, Registry
from chaos.waiting import wait_until


@dataclass
class Footprint:
    record: EnvRecord
    pids: list[tuple[int, int]]
    ports: list[int]

    def leftovers(self) -> list[str]:
        left = [f"group {g.label} ({g.pgid}): {group_members(g.pgid)}" for g in self.record.groups
                if group_members(g.pgid)]
        left += [f"pid {pid}" for pid, start in self.pids if process_start_ticks(pid) == start
                 and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
        left += [f"port {port}" for port in self.ports if listening(port)]
        left += [f"dir {d}" for d in (self.record.workdir, *self.record.extra_paths) if Path(d).exists()]
        return left


def chaos_up(state: Path, ready: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "chaos", "up", "--target", str(TINY_TARGET), "--state-dir", str(state),
            "--ready-file", str(ready), "--proxy-port", "0", *extra]
    return subprocess.Popen(argv, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def footprint(registry: Registry) -> Footprint:
    (record,) = list(registry.records())
    pids: list[tuple[int, int]] = []
    for group in record.groups:
        pids += [(group.pgid, group.leader_start), *descendants(group.pgid)]
    ports = [int(url.rsplit(":", 1)[1].split("/")[0]) for url in record.urls.values()]
    return Footprint(record=record, pids=pids, ports=ports)


def output(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdout is not None
    return proc.stdout.read().decode(errors="replace")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_chaos_up_interrupted_while_running_cleans_up(tmp_path: Path, sig: signal.Signals) -> None:
    state, ready = tmp_path / "state", tmp_path / "ready.json"
    proc = chaos_up(state, ready)
    try:
        # a cold start is ~2 s; 60 s only guards against a wedged machine
        wait_until(lambda: ready.is_file() or proc.poll() is not None, timeout_s=60, what="chaos up ready")
        assert proc.poll() is None, output(proc)
        assert json.loads(ready.read_text())["urls"]["sut"].startswith("http://127.0.0.1:")
        seen = footprint(Registry(state))
        assert seen.ports
        assert len(seen.pids) >= 5   # SUT, proxy, Postgres (+ backends), Redis, fake API
        proc.send_signal(sig)
        assert proc.wait(30) == 0
        out = output(proc)
        assert "nothing left behind" in out
        assert seen.leftovers() == []
        assert list(Registry(state).records()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_chaos_up_interrupted_while_starting_cleans_up(tmp_path: Path) -> None:
    state, ready = tmp_path / "state", tmp_path / "ready.json"
    registry = Registry(state)
    proc = chaos_up(state, ready)
    try:
        # as soon as the first process group is recorded, the start-up is under way
        wait_until(lambda: any(r.groups for r in registry.records()) or proc.poll() is not None,
                   timeout_s=60, interval_s=0.01, what="first process recorded")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        out = output(proc)
        assert code in (0, 130), out
        assert not ready.exists() or code == 0
        records = list(registry.records())
        assert records == [], out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # the work dir is named in the log line only when it was up; check no chaos-up- dir of ours is left
    assert list(registry.records()) == []


def test_sigkilled_owner_is_cleaned_by_chaos_down(tmp_path: Path) -> None:
    """SIGKILL allows no cleanup: children die by PR_SET_PDEATHSIG; `chaos down` removes the rest."""
    state, ready = tmp_path / "state", tmp_path / "ready.json"
    proc = chaos_up(state, ready)
    wait_until(lambda: ready.is_file() or proc.poll() is not None, timeout_s=60, what="chaos up ready")
    assert proc.poll() is None, output(proc)
    seen = footprint(Registry(state))
    proc.kill()
    proc.wait(10)
    # children get SIGKILL from the kernel at once; Postgres backends exit when their postmaster is gone
    wait_until(lambda: not [x for x in seen.leftovers() if not x.startswith("dir ")], timeout_s=10,
               what="processes gone after the owner's SIGKILL")
    assert Path(seen.record.workdir).exists()
    down = subprocess.run([sys.executable, "-m", "chaos", "down", "--state-dir", str(state)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0, down.stderr
    assert f"removed {seen.record.workdir}" in down.stdout
    assert seen.leftovers() == []
    assert list(Registry(state).records()) == []


def test_detach_then_down(tmp_path: Path) -> None:
    state = tmp_path / "state"
    up = subprocess.run([sys.executable, "-m", "chaos", "up", "--detach", "--target", str(TINY_TARGET),
                         "--state-dir", str(state), "--proxy-port", "0"],
                        capture_output=True, text=True, timeout=120, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "is up in the background" in up.stdout
    seen = footprint(Registry(state))
    assert seen.record.detached
    assert seen.record.owner_alive()
    assert all(listening(p) for p in seen.ports)
    down = subprocess.run([sys.executable, "-m", "chaos", "down", "--state-dir", str(state)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0, down.stderr
    assert f"stopped {seen.record.env_id}" in down.stdout
    assert seen.leftovers() == []
