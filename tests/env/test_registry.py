"""The on-disk registry: records, and reaping environments whose owner died."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.envs import write_target

from chaos.env.local import LocalBackend
from chaos.env.process import GroupRecord, group_members, process_start_ticks
from chaos.env.registry import EnvRecord, Registry
from chaos.targetfile import load_target


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process group that is not ours in any registry sense until a record claims it."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait(5)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    return proc.pid


def record_for(proc: subprocess.Popen[bytes], workdir: Path, *, owner_pid: int, owner_start: int,
               leader_start: int | None = None) -> EnvRecord:
    start = process_start_ticks(proc.pid) if leader_start is None else leader_start
    return EnvRecord(env_id="gw9-abcdef", owner_pid=owner_pid, owner_start=owner_start, workdir=str(workdir),
                     groups=(GroupRecord(pgid=proc.pid, leader_start=start or 0, label="sleep"),))


def test_record_round_trips(registry: Registry, tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    record = record_for(sleeper, tmp_path, owner_pid=1, owner_start=2)
    registry.save(record)
    assert registry.load(record.env_id) == record
    registry.add_path(record.env_id, tmp_path / "x")
    loaded = registry.load(record.env_id)
    assert loaded is not None
    assert loaded.extra_paths == (str(tmp_path / "x"),)
    registry.remove(record.env_id)
    assert registry.load(record.env_id) is None


def test_stale_environment_is_reaped(registry: Registry, tmp_path: Path,
                                     sleeper: subprocess.Popen[bytes]) -> None:
    workdir = tmp_path / "work"
    (workdir / "pg").mkdir(parents=True)
    registry.save(record_for(sleeper, workdir, owner_pid=dead_pid(), owner_start=1))
    reaped = registry.reap_stale()
    assert f"environment gw9-abcdef: killed sleep (process group {sleeper.pid})" in reaped
    assert f"environment gw9-abcdef: removed {workdir}" in reaped
    assert sleeper.wait(5) is not None
    assert group_members(sleeper.pid) == []
    assert not workdir.exists()
    assert list(registry.records()) == []


def test_live_owner_is_left_alone(registry: Registry, tmp_path: Path,
                                  sleeper: subprocess.Popen[bytes]) -> None:
    me = os.getpid()
    registry.save(record_for(sleeper, tmp_path, owner_pid=me, owner_start=process_start_ticks(me) or 0))
    assert registry.reap_stale() == []
    assert sleeper.poll() is None
    assert tmp_path.exists()


def test_reused_group_id_is_not_killed(registry: Registry, tmp_path: Path,
                                       sleeper: subprocess.Popen[bytes]) -> None:
    """A leader alive with another start time is someone else's process that got the same PID."""
    registry.save(record_for(sleeper, tmp_path / "w", owner_pid=dead_pid(), owner_start=1, leader_start=1))
    reaped = registry.reap_stale()
    assert not any("killed" in line for line in reaped)
    assert sleeper.poll() is None


def test_starting_an_environment_reaps_stale_ones(registry: Registry, tmp_path: Path,
                                                  sleeper: subprocess.Popen[bytes]) -> None:
    registry.save(record_for(sleeper, tmp_path / "old", owner_pid=dead_pid(), owner_start=1))
    target = load_target(write_target(tmp_path, '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
'''))
    with LocalBackend(registry=registry).start(target) as env:
        assert any("killed sleep" in line for line in env.reaped)
    assert sleeper.wait(5) is not None
