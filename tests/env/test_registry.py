"""The on-disk registry: records, reaping environments whose owner died, one state dir per checkout."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.envs import HTTP_ONLY_DEPS, HTTP_ONLY_SERVICE, write_target

from chaos import __version__
from chaos.env.local import LocalBackend
from chaos.env.process import GroupRecord, group_members, process_start_ticks
from chaos.env.registry import EnvRecord, Registry
from chaos.env.state import checkout_key, checkout_root, default_state_dir, user_temp_dir
from chaos.targetfile import load_target

CHECKOUT = Path(__file__).resolve().parents[2]


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


# --- state per checkout ---------------------------------------------------------------------------------

def test_state_dir_precedence(tmp_path: Path) -> None:
    """CHAOS_STATE_DIR as given; else a private XDG_RUNTIME_DIR; else the temp dir; the checkout in both."""
    key = checkout_key()
    assert re.fullmatch(rf"{re.escape(checkout_root().name)}-[0-9a-f]{{12}}", key)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    assert default_state_dir({"CHAOS_STATE_DIR": str(tmp_path / "mine"), "XDG_RUNTIME_DIR": str(runtime)}) == \
        tmp_path / "mine"
    assert default_state_dir({"XDG_RUNTIME_DIR": str(runtime)}) == runtime / "chaos-suite" / key
    runtime.chmod(0o755)   # not a runtime dir the spec allows: others could read the registry
    assert default_state_dir({"XDG_RUNTIME_DIR": str(runtime)}) == user_temp_dir() / key
    assert default_state_dir({}) == user_temp_dir() / key
    assert default_state_dir({}, root=tmp_path / "a") != default_state_dir({}, root=tmp_path / "b")


def copy_checkout(root: Path) -> Path:
    """A second checkout: the package copied, so `python -m chaos` run there imports this copy."""
    shutil.copytree(CHECKOUT / "chaos", root / "chaos", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def chaos_in(checkout: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=checkout, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_two_checkouts_do_not_see_each_others_environments(tmp_path: Path) -> None:
    """Two checkouts, one user, one temp dir, the default state dirs: `ls`, `down` and `down --all` in
    one never reach the other's environment."""
    target = write_target(tmp_path, HTTP_ONLY_SERVICE, deps=HTTP_ONLY_DEPS)
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CHAOS_STATE_DIR", "XDG_RUNTIME_DIR", "TOXIPROXY_URL")}
    env["TMPDIR"] = str(tmp_path / "tmp")
    a, b = copy_checkout(tmp_path / "a"), copy_checkout(tmp_path / "b")
    assert chaos_in(a, env, "--version").stdout.startswith(f"chaos-suite {__version__} (checkout {a},")
    ids = {}
    try:
        for checkout in (a, b):
            up = chaos_in(checkout, env, "up", "--detach", "--target", str(target), "--proxy-port", "0",
                          "--ready-file", str(checkout / "ready.json"))
            assert up.returncode == 0, up.stdout + up.stderr
            ids[checkout] = json.loads((checkout / "ready.json").read_text())["env_id"]
        for mine, other in ((a, b), (b, a)):
            listed = [row["env_id"] for row in json.loads(chaos_in(mine, env, "ls", "--json").stdout)]
            assert listed == [ids[mine]]
            assert ids[other] not in chaos_in(mine, env, "ls").stdout

        down = chaos_in(a, env, "down", "--all")
        assert down.returncode == 0, down.stderr
        assert f"stopped {ids[a]} (owner pid " in down.stdout
        assert ids[b] not in down.stdout
        (still,) = json.loads(chaos_in(b, env, "ls", "--json").stdout)
        assert (still["env_id"], still["owner_alive"]) == (ids[b], True)
        assert httpx.get(still["urls"]["sut"], timeout=5).status_code == 200
    finally:
        for checkout in (b, a):
            chaos_in(checkout, env, "down")
    base = tmp_path / "tmp" / f"chaos-suite-{os.getuid()}"
    assert sorted(p.name for p in base.iterdir() if p.name != "pg-spares") == sorted(
        [checkout_key(a), checkout_key(b)])
    assert all(json.loads(chaos_in(c, env, "ls", "--json").stdout) == [] for c in (a, b))
