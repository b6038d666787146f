"""[service.processes.NAME] on the local backend, with real processes: a worker started beside the
SUT with its environment and templates, its own log, healed, signalled by the fault, reaped."""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.envs import sut_environ

from chaos.env import Environment, ProcessHandle
from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.process import group_members, process_state
from chaos.env.registry import Registry
from chaos.errors import ChaosError, DependencyStartTimeout, ExitedBeforeReady
from chaos.faults import SutSignalled, injected
from chaos.observe import ProcessExited
from chaos.targetfile import load_target
from chaos.waiting import wait_until

# A worker in the shape of a queue consumer: says what it got, becomes ready, exits 0 on SIGTERM,
# and forks a child of its own (so a reap must take the whole group).
WORKER = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, lambda *_: (print("worker stopping", flush=True), sys.exit(0)))
print("REDIS_URL=" + os.environ["REDIS_URL"], "OWN=" + os.environ.get("OWN", "-"),
      "EXTRA=" + os.environ.get("EXTRA", "-"), "PORT=" + os.environ.get("WORKER_PORT", "-"), flush=True)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
time.sleep(float(os.environ.get("READY_AFTER_S", "0")))
print("worker ready, child", child.pid, flush=True)
while True:
    time.sleep(1)
"""

TARGET = """
[service]
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
start_timeout_s = 10
shutdown_grace_s = 3

[service.env]
REDIS_URL = "{redis.url}"

[service.processes.worker]
command = ["{python}", "worker.py"]
env = { OWN = "yes", WORKER_PORT = "{port}" }
ready_log = "worker ready"
%s
[dependencies.redis]
kind = "redis"
"""


def _target(directory: Path, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "worker.py").write_text(textwrap.dedent(WORKER))
    path = directory / "chaos.toml"
    path.write_text(TARGET % extra)
    return path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[LocalEnvironment]:
    root = tmp_path_factory.mktemp("extra")
    started = LocalBackend(registry=Registry(root / "registry")).start(
        load_target(_target(root / "target")), worker_id=worker_id, sut_env={"EXTRA": "from-sut-env"})
    yield started
    started.close()


@pytest.fixture
def worker(env: LocalEnvironment) -> ProcessHandle:
    """The worker, healthy at the start of each test (a test may kill or freeze it)."""
    env.heal()
    return env.process("worker")


def test_the_worker_starts_beside_the_sut_with_its_env_and_templates(env: LocalEnvironment,
                                                                   worker: ProcessHandle) -> None:
    assert isinstance(env, Environment)
    assert isinstance(worker, ProcessHandle)
    assert list(env.processes) == ["worker"]
    pid = worker.pid()
    assert pid is not None
    assert worker.is_alive()
    assert pid != env.sut.pid()
    environ, sut = sut_environ(pid), sut_environ(env.sut.pid() or 0)
    assert environ["REDIS_URL"] == sut["REDIS_URL"] == env.redis().url(proxied=True)   # through the proxy
    assert environ["OWN"] == "yes"
    assert "OWN" not in sut
    assert environ["EXTRA"] == "from-sut-env"                            # --chaos-sut-env reaches it
    assert environ["WORKER_PORT"] == env.sut.base_url.rsplit(":", 1)[1]  # the same {port} as the SUT's
    with pytest.raises(KeyError, match=r"no process 'nope' .*declared under \[service.processes\]: worker"):
        env.process("nope")


def test_each_process_has_its_own_log(env: LocalEnvironment, worker: ProcessHandle) -> None:
    log = worker.logs()
    assert "--- chaos: start #" in log
    assert "worker ready" in log
    assert "worker ready" not in env.sut.logs()
    assert (env.workdir / "sut" / "worker.log").is_file()


def test_heal_starts_a_killed_worker_again_and_waits_until_ready(env: LocalEnvironment,
                                                                worker: ProcessHandle) -> None:
    old = worker.pid()
    worker.signal(signal.SIGKILL)
    assert worker.wait_exit(5) == -signal.SIGKILL
    assert worker.pid() is None
    assert worker.exit_code() == -signal.SIGKILL
    assert env.heal() == ["restarted process worker (it had exited with code -9)"]
    assert worker.is_alive()
    assert worker.pid() not in (None, old)
    assert worker.logs(tail=1).startswith("worker ready")   # heal waited for this start's ready line
    assert env.heal() == []


def test_heal_thaws_a_frozen_worker(env: LocalEnvironment, worker: ProcessHandle) -> None:
    worker.signal(signal.SIGSTOP)
    pid = worker.pid()
    assert pid is not None
    wait_until(lambda: process_state(pid) == "T", timeout_s=5, what="worker stopped")
    assert env.heal() == ["resumed process worker (it was SIGSTOPped)"]
    assert process_state(pid) != "T"
    assert worker.pid() == pid


def test_the_signal_fault_targets_the_worker_and_restarts_it_on_heal(env: LocalEnvironment,
                                                                     worker: ProcessHandle) -> None:
    fault = SutSignalled.of(env, "worker", signal.SIGTERM)
    assert fault.name == "signal(worker, SIGTERM)"
    assert fault.intent == "send SIGTERM to process worker; start it again when healed"
    pid = worker.pid()
    with injected(fault) as receipt:
        assert worker.wait_exit(5) == 0            # its SIGTERM handler exits 0
    assert receipt.pid_before == pid
    assert receipt.effects[:2] == [f"SIGTERM delivered to process worker pid {pid}",
                                   f"process worker pid {pid} exited with code 0"]
    assert receipt.revert_steps == ["start process worker again"]
    assert worker.is_alive()
    assert worker.pid() != pid
    assert env.sut.is_alive()                      # only the worker was hit
    assert SutSignalled.of(env, "service", signal.SIGTERM).sut is env.sut
    with pytest.raises(KeyError, match="declared under"):
        SutSignalled.of(env, "scheduler", signal.SIGTERM)


def test_the_probes_watch_each_extra_process(env: LocalEnvironment, worker: ProcessHandle) -> None:
    from chaos.experiment import Experiment

    experiment = Experiment(env=env, name="probes", contract=None, seed=1)
    names = {p.name: p for p in experiment.probes(duration_s=0.1).probes}
    assert set(names) >= {"alive", "alive:worker"}
    assert getattr(names["alive:worker"], "process", None) == "worker"


def test_a_worker_that_never_logs_ready_fails_the_start_with_its_log(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    _target(tmp_path / "t")
    target = load_target(_never_ready(tmp_path / "t"))
    with pytest.raises(DependencyStartTimeout) as info:
        LocalBackend(registry=registry).start(target, workdir=tmp_path / "work")
    message = str(info.value)
    assert "process worker" in message
    assert "its log does not show 'never printed' yet" in message
    assert "worker ready, child" in message              # the tail of its log is quoted
    assert not (tmp_path / "work").exists()
    assert list(registry.records()) == []


def _never_ready(directory: Path) -> Path:
    path = directory / "chaos.toml"
    text = path.read_text().replace('ready_log = "worker ready"', 'ready_log = "never printed"')
    path.write_text(text.replace("start_timeout_s = 10", "start_timeout_s = 1.5"))
    return path


def test_a_worker_that_exits_at_once_fails_fast(tmp_path: Path) -> None:
    directory = tmp_path / "t"
    _target(directory)
    (directory / "worker.py").write_text("import sys\nprint('worker: QUEUE_URL missing')\nsys.exit(2)\n")
    with pytest.raises(ExitedBeforeReady) as info:
        LocalBackend(registry=Registry(tmp_path / "registry")).start(load_target(directory / "chaos.toml"))
    assert "process worker exited with code 2 after" in str(info.value)
    assert "worker: QUEUE_URL missing" in str(info.value)


def test_close_reaps_the_worker_and_its_children(tmp_path: Path, worker_id: str) -> None:
    registry = Registry(tmp_path / "registry")
    started = LocalBackend(registry=registry).start(load_target(_target(tmp_path / "t")), worker_id=worker_id)
    record = registry.load(started.env_id)
    assert record is not None
    groups = {g.label: g.pgid for g in record.groups}
    assert "process worker" in groups                     # the registry can reap it after a crash
    worker = started.process("worker")
    wait_until(lambda: "child" in worker.logs(), timeout_s=5, what="worker forked")
    assert len(group_members(groups["process worker"])) == 2   # the worker and its child
    worker.signal(signal.SIGSTOP)                         # close copes with a frozen worker
    started.close()
    assert group_members(groups["process worker"]) == []
    assert registry.load(started.env_id) is None


def test_the_docker_backend_refuses_extra_processes_clearly(tmp_path: Path) -> None:
    from chaos.env.docker import DockerBackend

    target = load_target(_target(tmp_path / "t"))
    with pytest.raises(ChaosError, match=r"\[service.processes.worker\]: extra processes are not supported by the "
                                         r"docker backend yet; run this target with the local backend"):
        DockerBackend().start(target)


def test_a_workers_exit_does_not_hide_the_late_stamp_of_the_suts(env: LocalEnvironment,
                                                                 worker: ProcessHandle) -> None:
    from chaos.experiment import Experiment

    experiment = Experiment(env=env, name="exits", contract=None, seed=1)
    experiment.timeline.append(ProcessExited(pid=1, exit_code=-9, at_ns=experiment.timeline.now_ns(),
                                             process="worker"))
    env.sut.signal(signal.SIGKILL)
    assert env.sut.wait_exit(5) == -signal.SIGKILL
    experiment.record_exit()
    assert [(e.process, e.exit_code) for e in experiment.timeline.events(ProcessExited)] == [
        ("worker", -9), ("sut", -9)]
    assert env.heal() == ["restarted the SUT (it had exited with code -9)"]
