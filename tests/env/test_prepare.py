"""[service.prepare] end to end on real Postgres: built once, reused, rebuilt on a changed input, never
half-built (a failing command, an overrun, a crashed runner, two builders at once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from chaos.cli.doctor_cmd import run_checks
from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.pgtemplate import is_template, publish_template
from chaos.env.prepare import CollectedProgress, template_status
from chaos.env.registry import Registry
from chaos.env.tools import find_postgres
from chaos.errors import ChaosError, PrepareFailed
from chaos.targetfile import Target, load_target
from chaos.waiting import wait_until

SEED = """\
import os, sys, time
from pathlib import Path
import psycopg
runs = Path(sys.argv[1])
with runs.open("a") as f:
    f.write(f"{os.getpid()}\\n")
value = Path("data.txt").read_text().strip()
print(f"seeding {value}", flush=True)
time.sleep(float(os.environ.get("SEED_SLEEP_S", "0")))
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("CREATE TABLE seeded (value text)")
    conn.execute("INSERT INTO seeded VALUES (%s)", (value,))
if os.environ.get("SEED_FAIL"):
    print("migration 0007 failed: relation \\"users\\" already exists", flush=True)
    sys.exit(3)
"""


def make_target(directory: Path, *, value: str, sleep_s: float = 0.0, fail: bool = False,
                timeout_s: float = 60.0) -> Path:
    """A target whose prepare seeds `value` (from an input file) and records each run in runs.txt."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "seed.py").write_text(SEED)
    (directory / "data.txt").write_text(value + "\n")
    path = directory / "chaos.toml"
    path.write_text(textwrap.dedent(f"""
        [service]
        command = ["{{python}}", "-m", "http.server", "--bind", "127.0.0.1", "{{port}}"]
        url = "http://127.0.0.1:{{port}}"
        health = "/"
        shutdown_grace_s = 3

        [service.env]
        DATABASE_URL = "{{postgres.url}}"
        SEED_SLEEP_S = "{sleep_s}"
        SEED_FAIL = "{'1' if fail else ''}"

        [service.prepare]
        commands = [["{{python}}", "seed.py", "{directory / 'runs.txt'}"]]
        inputs = ["data.txt", "*.py"]
        timeout_s = {timeout_s}

        [dependencies.postgres]
        kind = "postgres"
        database = "prep"
    """))
    return path


def runs(directory: Path) -> int:
    path = directory / "runs.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def seeded(env: LocalEnvironment) -> list[str]:
    with psycopg.connect(env.postgres().dsn(), connect_timeout=3) as conn:
        return [row[0] for row in conn.execute("SELECT value FROM seeded ORDER BY value").fetchall()]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of our own: the templates these tests make never meet real runs'."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def backend(cache: Path, tmp_path: Path) -> LocalBackend:
    return LocalBackend(cache_dir=cache, registry=Registry(tmp_path / "registry"), progress=CollectedProgress())


def status_of(target: Target, cache: Path) -> bool:
    status = template_status(target, cache=cache, major=find_postgres().major)
    assert status is not None
    return status.is_fresh()


def test_template_is_built_once_then_reused(backend: LocalBackend, cache: Path, tmp_path: Path) -> None:
    value = f"v-{uuid.uuid4().hex[:8]}"   # a key no other test shares
    path = make_target(tmp_path / "t", value=value)
    target = load_target(path)
    assert not status_of(target, cache)
    doctor = {c.what: c for c in run_checks(None, target=path, cache_dir=cache)}["prepared template"]
    assert doctor.detail.startswith("not built for today's inputs")

    with backend.start(target, worker_id="prep") as env:
        assert seeded(env) == [value]
        assert "built in" in env.template_note
        assert "prepare" in env.startup_times
    assert runs(tmp_path / "t") == 1
    assert isinstance(backend.progress, CollectedProgress)
    assert f"seeding {value}" in backend.progress.lines   # the command's output, streamed
    assert status_of(target, cache)
    doctor = {c.what: c for c in run_checks(None, target=path, cache_dir=cache)}["prepared template"]
    assert doctor.detail.startswith("fresh (key ")

    with backend.start(target, worker_id="prep") as env:
        assert seeded(env) == [value]            # from the template: the command did not run again
        assert env.template_note.startswith("prepared template: fresh")
        assert "prepare" not in env.startup_times
    assert runs(tmp_path / "t") == 1


def test_a_changed_input_rebuilds_the_template(backend: LocalBackend, cache: Path, tmp_path: Path) -> None:
    first = f"v-{uuid.uuid4().hex[:8]}"
    path = make_target(tmp_path / "t", value=first)
    with backend.start(load_target(path), worker_id="prep") as env:
        assert seeded(env) == [first]
    second = f"{first}-changed"
    (tmp_path / "t" / "data.txt").write_text(second + "\n")
    target = load_target(path)
    assert not status_of(target, cache)
    with backend.start(target, worker_id="prep") as env:
        assert seeded(env) == [second]          # rebuilt from scratch, not layered on the old template
    assert runs(tmp_path / "t") == 2


def test_a_failing_command_is_one_clear_error_and_keeps_nothing(backend: LocalBackend, cache: Path,
                                                                tmp_path: Path) -> None:
    path = make_target(tmp_path / "t", value=f"v-{uuid.uuid4().hex[:8]}", fail=True)
    target = load_target(path)
    with pytest.raises(PrepareFailed) as info:
        backend.start(target, worker_id="prep")
    message = str(info.value)
    assert "seed.py" in message
    assert "exited with code 3" in message
    assert 'migration 0007 failed: relation "users" already exists' in message   # the log tail
    assert Path(info.value.log_path).is_file(), "the full log outlives the closed environment"
    assert not status_of(target, cache)


def test_an_overrun_is_stopped_at_the_timeout(backend: LocalBackend, tmp_path: Path) -> None:
    path = make_target(tmp_path / "t", value=f"v-{uuid.uuid4().hex[:8]}", sleep_s=60, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(PrepareFailed, match=r"did not finish within \[service.prepare\].timeout_s = 1 s"):
        backend.start(load_target(path), worker_id="prep")
    # tolerance: the start-up around the 1 s timeout (Postgres, proxy) takes a few seconds on a busy box
    assert time.monotonic() - started < 30


def test_two_builders_at_once_run_the_commands_once(backend: LocalBackend, tmp_path: Path) -> None:
    """Two pytest-xdist workers on a cold key: one builds under the lock, the other waits and copies."""
    value = f"v-{uuid.uuid4().hex[:8]}"
    target = load_target(make_target(tmp_path / "t", value=value, sleep_s=1.5))
    results: dict[str, list[str] | BaseException] = {}

    def start(worker: str) -> None:
        try:
            with backend.start(target, worker_id=worker) as env:
                results[worker] = seeded(env)
        except BaseException as exc:
            results[worker] = exc

    threads = [threading.Thread(target=start, args=(w,)) for w in ("gw0", "gw1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == {"gw0": [value], "gw1": [value]}
    assert runs(tmp_path / "t") == 1


def test_a_runner_killed_mid_build_leaves_no_template(cache: Path, tmp_path: Path) -> None:
    """SIGKILL the runner while the prepare command runs: the lock dies with it, nothing is published,
    and the next start builds the template (and reaps what the dead run left)."""
    directory = tmp_path / "t"
    path = make_target(directory, value=f"v-{uuid.uuid4().hex[:8]}", sleep_s=60)
    registry = tmp_path / "registry"
    runner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from pathlib import Path
        from chaos.env.local import LocalBackend
        from chaos.env.registry import Registry
        from chaos.targetfile import load_target
        LocalBackend(cache_dir=Path({str(cache)!r}), registry=Registry(Path({str(registry)!r}))).start(
            load_target({str(path)!r}), worker_id="doomed")
    """)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: runs(directory) == 1, timeout_s=60, what="the prepare command running")
    finally:
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(10)
    target = load_target(path)
    assert not status_of(target, cache)
    (directory / "chaos.toml").write_text((directory / "chaos.toml").read_text()
                                          .replace('SEED_SLEEP_S = "60"', 'SEED_SLEEP_S = "0"'))
    target = load_target(path)   # same key: the env is not an input
    backend = LocalBackend(cache_dir=cache, registry=Registry(registry), progress=CollectedProgress())
    with backend.start(target, worker_id="next") as env:
        assert env.reaped, "the dead run's environment is reaped"
        assert seeded(env)
    assert runs(directory) == 2
    assert status_of(target, cache)


def test_publish_removes_partial_copies_of_dead_builders(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "PG_VERSION").write_text("15\n")
    cache = tmp_path / "cache"
    dead = cache / ".pg15-prepared-abc-postgres.tmp-999999999"   # no such PID
    dead.mkdir(parents=True)
    template = cache / "pg15-prepared-abc-postgres"
    assert publish_template(data, template) is True
    assert is_template(template)
    assert not dead.exists()
    assert publish_template(data, template) is False   # already there: left as it is


def test_the_docker_backend_refuses_prepare_clearly(tmp_path: Path) -> None:
    from chaos.env.docker.backend import DockerBackend

    target = load_target(make_target(tmp_path / "t", value="x"))
    with pytest.raises(ChaosError, match=r"\[service.prepare\] is not supported by the docker backend yet"):
        DockerBackend().start(target)   # refused before any engine is contacted
