"""[service.processes.NAME]: a valid table loads into a ProcessSpec; every broken one names its key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaos.errors import TargetFileError
from chaos.targetfile import load_target

SERVICE = """
[service]
command = ["{python}", "-m", "web", "--port", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/health"
shutdown_grace_s = 7

[service.env]
REDIS_URL = "{redis.url}"

[dependencies.redis]
kind = "redis"
"""


def _write(tmp_path: Path, processes: str, *, service: str = SERVICE) -> Path:
    path = tmp_path / "chaos.toml"
    path.write_text(textwrap.dedent(service) + textwrap.dedent(processes))
    return path


def _problems(tmp_path: Path, processes: str, *, service: str = SERVICE) -> list[str]:
    with pytest.raises(TargetFileError) as info:
        load_target(_write(tmp_path, processes, service=service))
    return list(info.value.problems)


def test_processes_load_with_their_defaults_and_templates_kept(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    target = load_target(_write(tmp_path, """
        [service.processes.worker]
        command = ["node", "src/worker.js", "--redis", "{redis.url}"]
        env = { CONCURRENCY = "2", QUEUE = "{redis.host}:{redis.port}" }
        ready_log = "worker (is )?ready"

        [service.processes.scheduler]
        command = ["{python}", "-m", "cron"]
        cwd = "jobs"
        shutdown_grace_s = 2.5
    """))
    worker, scheduler = target.service.processes.values()
    assert list(target.service.processes) == ["worker", "scheduler"]   # file order
    assert worker.name == "worker"
    assert worker.command == ("node", "src/worker.js", "--redis", "{redis.url}")   # rendered at start
    assert dict(worker.env) == {"CONCURRENCY": "2", "QUEUE": "{redis.host}:{redis.port}"}
    assert worker.ready_log == "worker (is )?ready"
    assert worker.cwd is None
    assert worker.shutdown_grace_s is None
    assert scheduler.cwd == (tmp_path / "jobs").resolve()
    assert scheduler.shutdown_grace_s == 2.5
    assert scheduler.ready_log is None
    assert dict(scheduler.env) == {}


def test_a_target_without_processes_has_none(tmp_path: Path) -> None:
    assert dict(load_target(_write(tmp_path, "")).service.processes) == {}


def test_every_broken_process_key_is_reported_at_once(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """
        [service.processes.worker]
        comand = ["node", "worker.js"]
        ready_log = "worker ("
        cwd = "missing-dir"
        shutdown_grace_s = "5s"
        env = { "BAD-NAME" = "x", COUNT = 2, URL = "{redis.uri}" }

        [service.processes.pinger]
        command = "node ping.js"

        [service.processes.empty]
        command = ["node", ""]
    """)
    text = "\n".join(problems)
    assert "[service.processes.worker].comand: unknown key; did you mean 'command'?" in problems
    assert "[service.processes.worker].command: missing (required: a list of strings" in text
    assert "[service.processes.worker].ready_log: not a valid regular expression" in text
    assert f"[service.processes.worker].cwd: not a directory: {(tmp_path / 'missing-dir').resolve()}" in problems
    assert "[service.processes.worker].shutdown_grace_s: expected seconds > 0 (a finite number), got '5s'" in problems
    assert "[service.processes.worker].env.BAD-NAME: not a valid environment variable name" in problems
    assert "[service.processes.worker].env.COUNT: expected a string (quote it), got 2" in problems
    assert ("[service.processes.worker].env.URL: unknown template name {redis.uri} in '{redis.uri}'; "
            "did you mean {redis.url}?") in problems
    assert ("[service.processes.pinger].command: expected a non-empty list of non-empty strings, "
            "got 'node ping.js'") in problems
    assert "[service.processes.empty].command: expected a non-empty list of non-empty strings" in text
    assert len(problems) == 10


@pytest.mark.parametrize("name", ["service", "sut"])
def test_the_services_own_names_are_reserved(tmp_path: Path, name: str) -> None:
    problems = _problems(tmp_path, f"""
        [service.processes.{name}]
        command = ["node", "worker.js"]
    """)
    assert problems == [f"[service.processes.{name}]: {name!r} names the service itself; choose another name"]


def test_a_process_that_is_not_a_table_or_badly_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """
        [service.processes]
        worker = "node worker.js"
        "two words" = { command = ["x"] }
    """)
    assert problems[0].startswith("[service.processes.worker]: expected a table such as")
    assert problems[1] == "[service.processes.two words]: a process name must be letters, digits, '_' or '-'"
    not_a_table = SERVICE.replace("shutdown_grace_s = 7\n", "shutdown_grace_s = 7\nprocesses = 3\n")
    assert _problems(tmp_path, "", service=not_a_table) == ["[service].processes: expected a table, got 3"]


def test_process_problems_are_reported_beside_the_services_own(tmp_path: Path) -> None:
    """A broken [service] does not hide the problems of its processes (one round of fixes)."""
    problems = _problems(tmp_path, """
        [service.processes.worker]
        command = []
    """, service=SERVICE.replace('health = "/health"\n', ""))
    assert "[service].health: missing (required string)" in problems
    assert "[service.processes.worker].command: expected a non-empty list of non-empty strings, got []" in problems
