"""LocalEnvironment end to end: real Postgres, Redis, fake API, embedded proxy and a stand-in SUT."""

from __future__ import annotations

import dataclasses
import re
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from support.envs import REFERENCE_TARGET, TINY_TARGET, listening, sut_environ, write_target

from chaos.env import Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle, SutHandle
from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.process import group_members
from chaos.env.registry import Registry
from chaos.errors import CommandNotRunnable, DependencyStartTimeout, ExitedBeforeReady
from chaos.proxy import EmbeddedProxy, ToxiproxyClient
from chaos.targetfile import load_target
from chaos.waiting import wait_until


@pytest.fixture(scope="module")
def module_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return Registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def tiny_env(module_registry: Registry, worker_id: str) -> Iterator[LocalEnvironment]:
    env = LocalBackend(registry=module_registry).start(load_target(TINY_TARGET), worker_id=worker_id,
                                                       sut_env={"EXTRA": "yes"})
    yield env
    env.close()


def test_environment_implements_the_protocols(tiny_env: LocalEnvironment) -> None:
    assert isinstance(tiny_env, Environment)
    assert isinstance(tiny_env.sut, SutHandle)
    assert isinstance(tiny_env.dependency("postgres"), PostgresHandle)
    assert isinstance(tiny_env.dependency("redis"), RedisHandle)
    assert isinstance(tiny_env.dependency("external"), HttpUpstreamHandle)
    assert tiny_env.backend == "local"
    with pytest.raises(KeyError, match="declared: postgres, redis, external"):
        tiny_env.dependency("nope")


def test_proxy_names_carry_the_worker_id(tiny_env: LocalEnvironment, worker_id: str) -> None:
    names = set(tiny_env.proxy.proxies())
    for name, dep in tiny_env.dependencies.items():
        assert dep.proxy_name.startswith(f"{worker_id}-")
        assert dep.proxy_name.endswith(f"-{name}")
        assert dep.proxy_name in names
        assert dep.proxied.port != dep.direct.port


def test_sut_gets_rendered_env_pointing_at_proxies(tiny_env: LocalEnvironment) -> None:
    pid = tiny_env.sut.pid()
    assert pid is not None
    env = sut_environ(pid)
    pg, rd, ext = (tiny_env.dependency(n) for n in ("postgres", "redis", "external"))
    assert env["DATABASE_URL"] == f"postgresql://app:app@127.0.0.1:{pg.proxied.port}/tiny"
    assert env["REDIS_URL"] == f"redis://127.0.0.1:{rd.proxied.port}/0"
    assert env["EXTERNAL_API_URL"] == f"http://127.0.0.1:{ext.proxied.port}"
    assert env["DB_PORT"] == str(pg.proxied.port)
    assert env["LITERAL"] == "{not a template}"
    assert env["EXTRA"] == "yes"


def test_traffic_flows_through_each_proxy(tiny_env: LocalEnvironment) -> None:
    with psycopg.connect(tiny_env.dependency("postgres").url(), connect_timeout=3) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (3,)
    with redis.Redis.from_url(tiny_env.dependency("redis").url(), socket_timeout=3) as client:
        assert client.ping()
    response = httpx.get(tiny_env.dependency("external").url() + "/api/x", timeout=3, trust_env=False)
    assert response.status_code == 200
    assert response.json()["path"] == "/api/x"
    assert httpx.get(tiny_env.sut.base_url + "/", timeout=3, trust_env=False).status_code == 200
    # the embedded proxy runs with live byte counters (fault receipts use them as proof)
    moved = tiny_env.proxy.proxy_bytes(tiny_env.dependency("external").proxy_name)
    assert moved is not None
    assert moved > 0


def test_terminate_client_backends_kills_a_proxied_connection(tiny_env: LocalEnvironment) -> None:
    pg = tiny_env.postgres()
    conn = psycopg.connect(pg.url(), connect_timeout=3, autocommit=True)
    backend_pid = conn.info.backend_pid
    assert backend_pid in pg.client_backend_pids()
    assert backend_pid in pg.terminate_client_backends()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    assert backend_pid not in pg.client_backend_pids()


def test_sut_signals_exit_code_restart_and_logs(tiny_env: LocalEnvironment) -> None:
    sut = tiny_env.sut
    sut.signal(signal.SIGSTOP)
    with pytest.raises(httpx.TimeoutException):
        httpx.get(sut.base_url + "/", timeout=0.5, trust_env=False)   # frozen: no answer in 0.5 s
    sut.signal(signal.SIGCONT)
    assert httpx.get(sut.base_url + "/", timeout=5, trust_env=False).status_code == 200
    old = sut.pid()
    sut.signal(signal.SIGTERM)
    assert sut.wait_exit(5) == -signal.SIGTERM   # http.server does not handle SIGTERM
    assert sut.exit_code() == -signal.SIGTERM
    assert not sut.is_alive()
    sut.ensure_running()
    assert sut.pid() not in (None, old)
    sut.restart(extra_env={"RESTARTED": "1"})
    pid = sut.pid()
    assert pid is not None
    assert sut_environ(pid)["RESTARTED"] == "1"
    assert "--- chaos: start #3" in sut.logs()
    assert len(sut.logs(tail=2).splitlines()) <= 2


def test_heal_repairs_every_kind_of_damage(tiny_env: LocalEnvironment) -> None:
    env = tiny_env
    pg, rd, ext = env.postgres(), env.redis(), env.upstream()
    env.proxy.add_toxic(rd.proxy_name, "latency", attributes={"latency": 500})
    env.proxy.update_proxy(pg.proxy_name, enabled=False)
    from chaos.upstream.control import Behaviour
    ext.control.set(Behaviour(status=503))
    rd.pause()
    pg.kill()
    ext.stop()
    env.sut.signal(signal.SIGKILL)
    env.sut.wait_exit(5)
    repairs = env.heal()
    text = "\n".join(repairs)
    for expected in ("resumed paused redis", "started postgres postgres again", "started http external again",
                     f"removed toxic latency_downstream (latency, downstream) from proxy {rd.proxy_name}",
                     f"enabled proxy {pg.proxy_name}", "restarted the SUT (it had exited with code -9)"):
        assert expected in text
    assert env.heal() == []   # a healthy environment needs nothing
    with psycopg.connect(pg.url(), connect_timeout=3) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    response = httpx.get(ext.url() + "/after-heal", timeout=3, trust_env=False)
    assert response.status_code == 200   # behaviour reset to the default
    with redis.Redis.from_url(rd.url(), socket_timeout=3) as client:
        assert client.ping()


def test_heal_resumes_a_frozen_sut(tiny_env: LocalEnvironment) -> None:
    tiny_env.sut.signal(signal.SIGSTOP)
    assert tiny_env.heal() == ["resumed the SUT (it was SIGSTOPped)"]
    assert httpx.get(tiny_env.sut.base_url + "/", timeout=5, trust_env=False).status_code == 200


def test_registry_knows_the_running_environment(tiny_env: LocalEnvironment,
                                                module_registry: Registry) -> None:
    record = module_registry.load(tiny_env.env_id)
    assert record is not None
    assert record.owner_alive()
    assert record.workdir == str(tiny_env.workdir)
    assert record.proxy_url == tiny_env.proxy_url
    labels = {g.label for g in record.groups}
    assert labels >= {"SUT", "embedded toxiproxy", "postgres postgres", "redis redis", "http external"}
    assert record.urls["sut"] == tiny_env.sut.base_url


def _ports(env: LocalEnvironment) -> list[int]:
    ports = [int(env.sut.base_url.rsplit(":", 1)[1]), int(env.proxy_url.rsplit(":", 1)[1])]
    for dep in env.dependencies.values():
        ports += [dep.direct.port, dep.proxied.port]
    return ports


def test_close_leaves_no_process_port_or_dir(registry: Registry, worker_id: str) -> None:
    env = LocalBackend(registry=registry).start(load_target(TINY_TARGET), worker_id=worker_id)
    record = registry.load(env.env_id)
    assert record is not None
    ports = _ports(env)
    assert all(listening(p) for p in ports)
    env.postgres().pause()     # close must cope with frozen and killed parts
    env.redis().kill()
    env.close()
    env.close()                # idempotent
    assert [g.pgid for g in record.groups if group_members(g.pgid)] == []
    assert [p for p in ports if listening(p)] == []
    assert not env.workdir.exists()
    assert registry.load(env.env_id) is None


def test_sut_that_exits_at_once_fails_fast_quoting_its_log(registry: Registry, tmp_path: Path) -> None:
    target = load_target(write_target(tmp_path, '''
        command = ["{python}", "-c", "import sys; print('boom: config missing'); sys.exit(3)"]
        url = "http://127.0.0.1:{port}"
        health = "/health"
        start_timeout_s = 20
    '''.replace("\n        ", "\n")))
    with pytest.raises(ExitedBeforeReady) as info:
        LocalBackend(registry=registry).start(target, workdir=tmp_path / "work")
    message = str(info.value)
    assert re.match(r"the SUT \(http://127\.0\.0\.1:\d+\) exited with code 3 after \d+\.\d s, before it was ready\n",
                    message), message
    assert info.value.after_s < 20   # what the old message claimed: "not ready after 20 s"
    assert "not ready" not in message
    assert "boom: config missing" in message
    assert not (tmp_path / "work").exists()
    assert list(registry.records()) == []


@pytest.mark.parametrize(("command", "problem"), [
    (["no-such-program-for-chaos"], "'no-such-program-for-chaos' was not found on PATH"),
    (["./not-executable.sh"], "'./not-executable.sh' is not executable (permission denied)"),
    (["/nonexistent/for-chaos/run"], "'/nonexistent/for-chaos/run' does not exist"),
])
def test_sut_command_that_cannot_run_is_one_clear_error(registry: Registry, tmp_path: Path, command: list[str],
                                                        problem: str) -> None:
    """The exec failure itself. The loader checks the command too; the environment must not rely on
    that (the file may change in between), so the command is put in after loading."""
    (tmp_path / "not-executable.sh").write_text("#!/bin/sh\nexit 0\n")
    loaded = load_target(write_target(tmp_path, '''
        command = ["{python}", "-c", "pass"]
        url = "http://127.0.0.1:{port}"
        health = "/health"
    '''.replace("\n        ", "\n")))
    target = dataclasses.replace(loaded, service=dataclasses.replace(loaded.service, command=tuple(command)))
    with pytest.raises(CommandNotRunnable) as info:
        LocalBackend(registry=registry).start(target, workdir=tmp_path / "work")
    assert str(info.value) == f"cannot start the SUT ([service].command): {problem}"
    assert not (tmp_path / "work").exists()
    assert list(registry.records()) == []


def test_sut_that_never_gets_healthy_times_out_with_last_error(registry: Registry, tmp_path: Path) -> None:
    target = load_target(write_target(tmp_path, '''
        command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
        url = "http://127.0.0.1:{port}"
        health = "/missing"
        start_timeout_s = 1.5
    '''.replace("\n        ", "\n")))
    with pytest.raises(DependencyStartTimeout) as info:
        LocalBackend(registry=registry).start(target)
    assert "GET /missing answered 404" in str(info.value)
    assert "not ready after 1.5 s" in str(info.value)


def test_parallel_environments_do_not_collide(registry: Registry, worker_id: str) -> None:
    """Two environments in one process (as two xdist workers would be): distinct ports and names."""
    envs: list[LocalEnvironment] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            envs.append(LocalBackend(registry=registry).start(load_target(TINY_TARGET), worker_id=worker_id))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        a, b = envs
        assert not set(_ports(a)) & set(_ports(b))
        assert a.dependency("postgres").proxy_name != b.dependency("postgres").proxy_name
        assert a.workdir != b.workdir
    finally:
        for env in envs:
            env.close()


def test_ports_are_loopback_only(tiny_env: LocalEnvironment) -> None:
    for dep in tiny_env.dependencies.values():
        assert dep.direct.host == "127.0.0.1"
        assert dep.proxied.host == "127.0.0.1"
    with socket.socket() as sock:
        sock.settimeout(0.5)
        # Postgres listens on 127.0.0.1 only: another loopback address is refused
        assert sock.connect_ex(("127.0.0.2", tiny_env.postgres().direct.port)) != 0




@pytest.mark.skipif(not REFERENCE_TARGET.is_file(), reason="the reference service is not in this checkout")
def test_reference_service_environment(registry: Registry, worker_id: str) -> None:
    """The real thing: the reference SUT on its Postgres pool, Redis cache and external API."""
    env = LocalBackend(registry=registry).start(load_target(REFERENCE_TARGET), worker_id=worker_id)
    try:
        ports = _ports(env)

        def get(path: str) -> httpx.Response:
            return httpx.get(env.sut.base_url + path, timeout=5, trust_env=False)

        assert get("/ready").status_code == 200
        assert get("/api/items?page=1&per_page=2").status_code == 200
        assert get("/api/catalog").status_code == 200
        assert get("/api/quote").status_code == 200
        assert [r.path for r in env.upstream().control.requests()], "the SUT reached the fake API"
        pg = env.postgres()
        pool = pg.client_backend_pids()
        assert pool, "the SUT's pool holds connections through the proxy"
        assert set(pg.terminate_client_backends()) >= set(pool)
        # the healthy SUT replaces its pooled connections; bound from the target's recover_within_s
        wait_until(lambda: get("/api/items?page=1&per_page=2").status_code == 200, timeout_s=5,
                   what="items served again")
        assert env.sut.is_alive()
        assert env.heal() == []
    finally:
        env.close()
    assert [p for p in ports if listening(p)] == []
    assert not env.workdir.exists()


def test_external_toxiproxy_gets_our_proxies_and_loses_them_on_close(registry: Registry, tmp_path: Path,
                                                                     worker_id: str) -> None:
    """With TOXIPROXY_URL the environment uses that server: its proxies there, deleted on close."""
    target = load_target(write_target(tmp_path, '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
''', deps='[dependencies.cache]\nkind = "redis"\n'))
    with EmbeddedProxy(host="127.0.0.1", port=0) as server:
        backend = LocalBackend(registry=registry, environ={"TOXIPROXY_URL": server.url})
        env = backend.start(target, worker_id=worker_id)
        try:
            assert env.proxy_url == server.url
            name = env.dependency("cache").proxy_name
            assert name.startswith(f"{worker_id}-")
            assert name in env.proxy.proxies()
            record = registry.load(env.env_id)
            assert record is not None
            assert record.proxy_external
            assert record.proxy_names == (name,)
            with redis.Redis.from_url(env.dependency("cache").url(), socket_timeout=3) as client:
                assert client.ping()
        finally:
            env.close()
        with ToxiproxyClient(server.url) as client:
            assert name not in client.proxies()
