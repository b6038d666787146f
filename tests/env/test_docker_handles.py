"""The docker backend's handles against a real engine: each lifecycle call acts on its container.

One compose environment (the reference service) serves the module; every test leaves it healthy
(an autouse fixture heals it and checks the service is ready). Needs an engine and the images, as
test_docker_lifecycle.py says; skips only when no engine answers.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import docker
import httpx
import psycopg
import pytest
import redis as redis_py
from support.docker_engine import local_images, requires_engine
from support.envs import REFERENCE_TARGET

from chaos.env.docker import LOCAL_IMAGES, DockerBackend, DockerEnvironment, SignalRoute
from chaos.targetfile import load_target
from chaos.waiting import wait_until

ITEMS = "/api/items?page=1&per_page=10"

pytestmark = requires_engine


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEnvironment]:
    """The reference service and its dependencies as one compose project, for the whole module."""
    client = docker.from_env(timeout=30)
    with local_images(client):
        environment = DockerBackend().start(load_target(REFERENCE_TARGET), worker_id="gw-handles",
                                            workdir=tmp_path_factory.mktemp("docker-handles"))
        try:
            yield environment
        finally:
            environment.close()
            client.close()


@pytest.fixture(autouse=True)
def healthy_after(env: DockerEnvironment) -> Iterator[None]:
    yield
    env.heal()
    env.sut.wait_ready(30)


def get(env: DockerEnvironment, path: str, timeout_s: float = 5.0) -> httpx.Response:
    return httpx.get(env.sut.base_url + path, timeout=timeout_s, trust_env=False)


def status_becomes(env: DockerEnvironment, path: str, status: int, timeout_s: float) -> None:
    def check() -> bool:
        return get(env, path, timeout_s=2.0).status_code == status
    wait_until(check, timeout_s=timeout_s, interval_s=0.1, what=f"GET {path} -> {status}")


def test_the_service_reaches_postgres_through_the_proxy_container(env: DockerEnvironment) -> None:
    toxiproxy = env.container("toxiproxy").container()
    expected = os.environ.get("CHAOS_TOXIPROXY_IMAGE", LOCAL_IMAGES["CHAOS_TOXIPROXY_IMAGE"])
    assert toxiproxy.image.tags == [expected]
    assert get(env, ITEMS).status_code == 200
    env.proxy.update_proxy("postgres", enabled=False)
    status_becomes(env, "/ready", 503, timeout_s=5.0)    # READY_TIMEOUT_S is 0.5 s: ample room
    assert get(env, "/health").status_code == 200
    env.proxy.update_proxy("postgres", enabled=True)
    status_becomes(env, "/ready", 200, timeout_s=10.0)


def test_postgres_restart_with_a_client_connected_is_fast(env: DockerEnvironment) -> None:
    """stop_signal SIGINT (fast shutdown): the restart does not wait for connected clients."""
    pg = env.postgres()
    with psycopg.connect(pg.dsn(proxied=False), autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT 1")
        assert pg.client_backend_pids(), "the service's pool should be connected too"
        start = time.monotonic()
        pg.restart()
        elapsed = time.monotonic() - start
        # measured about 0.3-1 s here; the default SIGTERM (smart shutdown) waits for clients until the
        # 10 s stop timeout, so 5 s separates the two with room for a loaded machine
        assert elapsed < 5.0, f"restart took {elapsed:.1f} s"
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    assert pg.is_running()
    status_becomes(env, ITEMS, 200, timeout_s=10.0)


def test_a_signal_to_the_main_process_is_restarted_by_policy_a_stop_is_not(env: DockerEnvironment) -> None:
    redis = env.redis()
    before = redis.state()
    redis.kill(signal.SIGTERM)
    assert redis.last_signal_route is SignalRoute.HOST_PID
    # restart policy unless-stopped: the engine brings it back (its first back-off is 0.1 s)
    wait_until(lambda: redis.state().restart_count > before.restart_count and redis.is_running(),
               timeout_s=10.0, interval_s=0.05, what="redis restarted by its restart policy")
    redis.wait_ready()

    count = redis.state().restart_count
    redis.stop()
    assert not redis.is_running()
    # an operator stop is never undone by the policy: watch for 2 s (a policy restart comes within
    # about 0.1-0.2 s of a death, as above)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        state = redis.state()
        assert state.status == "exited", state
        assert state.restart_count == count, state
        time.sleep(0.1)
    redis.start()
    assert redis.is_running()


def test_sigkill_through_the_engine_counts_as_an_operator_stop(env: DockerEnvironment) -> None:
    redis = env.redis()
    redis.container.kill_via_engine(signal.SIGKILL)
    state = redis.container.wait_state(lambda s: not s.running, what="to die", timeout_s=10.0)
    time.sleep(1.0)   # a policy restart would come within ~0.2 s; 1 s leaves room
    after = redis.state()
    assert after.status == "exited"
    assert after.restart_count == state.restart_count
    redis.start()


def test_pause_hangs_clients_until_resume(env: DockerEnvironment) -> None:
    redis = env.redis()
    client = redis_py.Redis(host=redis.direct.host, port=redis.direct.port, socket_timeout=10.0)
    result: list[object] = []
    try:
        assert client.ping()
        redis.pause()
        assert redis.is_paused()
        thread = threading.Thread(target=lambda: result.append(client.ping()), daemon=True)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "a PING answered while the container was paused"
        assert result == []
        redis.resume()
        thread.join(5.0)    # unpause takes ~0.05 s here
        assert result == [True]
    finally:
        redis.resume()
        client.close()


def test_postgres_admin_sees_and_terminates_the_services_connections(env: DockerEnvironment) -> None:
    pg = env.postgres()
    pids = wait_until(pg.client_backend_pids, timeout_s=10.0, what="the service's pooled connections")
    terminated = pg.terminate_client_backends()
    assert set(pids) <= set(terminated)
    status_becomes(env, ITEMS, 200, timeout_s=10.0)


def test_the_fake_api_is_steered_through_its_handle(env: DockerEnvironment) -> None:
    upstream = env.upstream()
    upstream.control.reset()
    response = get(env, "/api/quote")
    assert response.status_code == 200, response.text
    calls = upstream.control.requests()
    assert calls
    assert calls[-1].path.startswith("/quote"), calls


def test_sigterm_drains_and_exits_0_the_container_stays_down_heal_starts_it(env: DockerEnvironment) -> None:
    sut = env.docker_sut
    sut.signal(signal.SIGTERM)
    assert sut.last_signal_route is SignalRoute.HOST_PID
    code = sut.wait_exit(15.0)    # SHUTDOWN_PRESTOP_S 0.5 + an idle drain: about 1 s
    assert code == 0
    time.sleep(0.5)   # on-failure: an exit 0 is not restarted (a restart would come within ~0.2 s)
    assert not sut.is_alive()
    assert sut.container.state().status == "exited"
    repairs = env.heal()
    assert any("restarted the SUT" in r for r in repairs), repairs
    assert sut.is_alive()


def test_sigkill_is_seen_although_the_policy_restarts_the_service(env: DockerEnvironment) -> None:
    sut = env.docker_sut
    before = sut.container.state()
    sut.signal(signal.SIGKILL)
    assert sut.wait_exit(10.0) == -9
    wait_until(lambda: sut.container.state().restart_count > before.restart_count, timeout_s=10.0,
               what="the service restarted by on-failure")
    assert not sut.is_alive()     # the run we started died; a new one is the policy's
    sut.ensure_running()
    assert sut.is_alive()
    assert sut.exit_code() is None


def test_heal_removes_toxics_enables_proxies_and_unpauses(env: DockerEnvironment) -> None:
    env.proxy.add_toxic("redis", "latency", name="slow", attributes={"latency": 500})
    env.proxy.update_proxy("external", enabled=False)
    env.postgres().pause()
    repairs = env.heal()
    text = "\n".join(repairs)
    assert "removed toxic slow" in text
    assert "enabled proxy external" in text
    assert "unpaused postgres" in text
    assert env.proxy.toxics("redis") == []
    assert env.proxy.get_proxy("external").enabled
    assert not env.postgres().is_paused()
    assert env.heal() == []


def test_restart_with_extra_env_recreates_the_service(env: DockerEnvironment) -> None:
    sut = env.docker_sut
    sut.restart(extra_env={"SUT_LOG_LEVEL": "warning"})
    assert "SUT_LOG_LEVEL=warning" in sut.container.container().attrs["Config"]["Env"]
    sut.restart()
    assert not any(e.startswith("SUT_LOG_LEVEL=") for e in sut.container.container().attrs["Config"]["Env"])
