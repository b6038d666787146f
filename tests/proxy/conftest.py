"""Fixtures for the proxy tests: one embedded proxy and one echo server per session, a client that
removes every proxy after each test, and a real redis-server where a real protocol helps."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import httpx
import pytest
import redis
from support.sockets import EchoServer, echo_server, unused_port

from chaos.env.process import reap_group
from chaos.proxy import EmbeddedProxy, ToxiproxyClient
from chaos.waiting import wait_until

SEED = 20240607


@pytest.fixture(scope="session")
def echo() -> Iterator[EchoServer]:
    """An echo server on 127.0.0.1 for the whole session."""
    with echo_server() as server:
        yield server


@pytest.fixture(scope="session")
def proxy_server() -> Iterator[EmbeddedProxy]:
    """The embedded proxy (own thread and loop, seeded) for the whole session."""
    with EmbeddedProxy(host="127.0.0.1", port=0, seed=SEED) as server:
        yield server


@pytest.fixture
def toxiproxy(proxy_server: EmbeddedProxy) -> Iterator[ToxiproxyClient]:
    """Our client on the session's proxy; every proxy is deleted after the test."""
    with ToxiproxyClient(proxy_server.url, timeout_s=10) as client:
        yield client
        for name in client.proxies():
            client.delete_proxy(name)


@pytest.fixture
def api(proxy_server: EmbeddedProxy, toxiproxy: ToxiproxyClient) -> Iterator[httpx.Client]:
    """A raw HTTP client on the session's proxy, to check bytes, headers and status codes."""
    with httpx.Client(base_url=proxy_server.url, timeout=10, verify=False) as client:
        yield client


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port (skipped if redis-server is not installed)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = unused_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
            wait_until(client.ping, timeout_s=10, what="redis-server answers PING")
            client.close()
            yield f"127.0.0.1:{port}"
        finally:
            reap_group(proc.pid, grace_s=5.0, leader=proc)
