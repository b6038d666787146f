"""Every fault against a real environment (reference service, Postgres, Redis, fake API, embedded
proxy): it bites (its receipt shows the effect), and after the revert nothing of it is left."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.experiment import Experiment
from chaos.faults import (
    BackendsTerminated,
    DependencyKilled,
    DependencyPaused,
    DependencyRestarted,
    DependencyStopped,
    InvalidRequests,
    ProxyDisabled,
    SutSignalled,
    ToxicFault,
    UpstreamMisbehaves,
    injected,
)
from chaos.observe import ProcessExited, RequestSpec, Timeline
from chaos.targetfile import load_target
from chaos.upstream.control import Behaviour

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    target = load_target(ROOT / "fixtures" / "sut" / "chaos.toml")
    environment = LocalBackend(toxiproxy_url="").start(target, worker_id="faults",
                                                       workdir=tmp_path_factory.mktemp("faults-env"))
    with environment:
        yield environment


@pytest.fixture
def healed(env: LocalEnvironment) -> LocalEnvironment:
    env.heal()
    return env


def get(env: LocalEnvironment, path: str, timeout_s: float = 5.0) -> httpx.Response:
    return httpx.get(env.sut.base_url + path, timeout=timeout_s)


def test_latency_toxic_slows_db_requests_then_goes(healed: LocalEnvironment) -> None:
    db = healed.postgres()
    fault = ToxicFault(client=healed.proxy, dependency=db, toxic_type="latency", attributes={"latency": 300})
    with injected(fault) as receipt:
        started = time.monotonic()
        assert get(healed, "/api/items?page=1").status_code == 200
        assert time.monotonic() - started >= 0.3        # at least one DB round trip delayed 300 ms
    assert receipt.bit, receipt
    assert "bytes crossed proxy" in receipt.effects[0]
    assert healed.proxy.toxics(db.proxy_name) == []


def test_proxy_disabled_refuses_connections_until_healed(healed: LocalEnvironment) -> None:
    db = healed.postgres()
    with injected(ProxyDisabled(client=healed.proxy, dependency=db)) as receipt:
        assert get(healed, "/ready").status_code == 503
    assert receipt.bit
    with socket.create_connection((db.proxied.host, db.proxied.port), timeout=2):
        pass
    assert healed.proxy.get_proxy(db.proxy_name).enabled


def test_restart_gives_postgres_a_new_pid(healed: LocalEnvironment) -> None:
    db = healed.postgres()
    with injected(DependencyRestarted(dependency=db, down_s=0.2)) as receipt:
        pass
    assert receipt.pid_before != receipt.pid_after
    assert receipt.bit
    assert db.is_running()


@pytest.mark.parametrize("fault_type", [DependencyStopped, DependencyKilled])
def test_stopped_or_killed_redis_comes_back(healed: LocalEnvironment, fault_type: type) -> None:
    redis = healed.redis()
    with injected(fault_type(dependency=redis)) as receipt:
        assert not redis.is_running()
        answer = get(healed, "/api/catalog")
        assert answer.json().get("source") == "db", answer.text
    assert receipt.bit
    assert redis.is_running()


def test_paused_dependency_resumes(healed: LocalEnvironment) -> None:
    redis = healed.redis()
    with injected(DependencyPaused(dependency=redis)):
        pass
    assert redis.is_running()
    assert get(healed, "/api/catalog").status_code == 200


def test_terminating_backends_hits_the_suts_connections(healed: LocalEnvironment) -> None:
    assert get(healed, "/api/items?page=1").status_code == 200
    with injected(BackendsTerminated(dependency=healed.postgres())) as receipt:
        pass
    assert receipt.hits >= 1, receipt


def test_upstream_misbehaves_and_is_reset(healed: LocalEnvironment) -> None:
    upstream = healed.upstream()
    with injected(UpstreamMisbehaves(dependency=upstream, behaviour=Behaviour(status=503))) as receipt:
        body = get(healed, "/api/quote").json()
        assert body["degraded"] is True
    assert receipt.bit
    assert upstream.control.behaviour() == Behaviour()


def test_sigstop_is_continued_on_heal(healed: LocalEnvironment) -> None:
    with injected(SutSignalled(sut=healed.sut, sig=signal.SIGSTOP)) as receipt, pytest.raises(httpx.ReadTimeout):
        get(healed, "/health", timeout_s=0.5)
    assert receipt.bit
    assert get(healed, "/health").status_code == 200


def test_sigkill_restarts_the_sut_on_heal(healed: LocalEnvironment) -> None:
    pid = healed.sut.pid()
    with injected(SutSignalled(sut=healed.sut, sig=signal.SIGKILL)) as receipt:
        healed.sut.wait_exit(timeout_s=5)
    assert receipt.pid_before == pid
    assert f"SUT pid {pid} was killed by SIGKILL" in receipt.effects, receipt.effects
    assert healed.sut.pid() != pid
    assert get(healed, "/health").status_code == 200


def test_an_experiment_stamps_the_exit_with_the_pid_that_exited(healed: LocalEnvironment) -> None:
    """The exited process has no PID any more: the stamp names the one last seen running, never 0."""
    experiment = Experiment(name="test_exit", env=healed, contract=None, seed=1)
    pid = healed.sut.pid()
    try:
        with experiment.fault(SutSignalled(sut=healed.sut, sig=signal.SIGKILL)):
            healed.sut.wait_exit(timeout_s=5)
            assert healed.sut.pid() is None
            experiment.record_exit()
    finally:
        experiment.close()
    [stamp] = experiment.timeline.events(ProcessExited)
    assert (stamp.pid, stamp.exit_code) == (pid, -9)
    [receipt] = experiment.receipts
    assert f"SUT pid {pid} was killed by SIGKILL" in receipt.effects


def test_invalid_requests_are_counted(healed: LocalEnvironment) -> None:
    spec = RequestSpec(method="POST", path="/api/bookings", json={"user": "x"}, label="invalid")
    timeline = Timeline()
    with injected(InvalidRequests(base_url=healed.sut.base_url, request=spec, count=3,
                                  timeline=timeline)) as receipt:
        pass
    assert receipt.hits == 3
    assert [r.status for r in timeline.requests(label="invalid")] == [400, 400, 400]
