"""toxiproxy-python (the `toxiproxy` package) drives the embedded proxy like a real Toxiproxy."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from support.sockets import EchoServer, addr, connect, median_round_trip_s
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from chaos.proxy import EmbeddedProxy, ToxiproxyClient


@pytest.fixture
def server(proxy_server: EmbeddedProxy, toxiproxy: ToxiproxyClient) -> Iterator[Toxiproxy]:
    """toxiproxy-python pointed at our server; its process-global host/port restored afterwards."""
    saved = (APIConsumer.host, APIConsumer.port)
    server = Toxiproxy()
    server.update_api_consumer(proxy_server.host, proxy_server.port)
    try:
        yield server
    finally:
        APIConsumer.host, APIConsumer.port = saved


def test_server_level_calls(server: Toxiproxy) -> None:
    assert server.running()
    assert b"2.12.0" in server.version()
    assert server.proxies() == {}


def test_create_toxic_destroy(server: Toxiproxy, echo: EchoServer) -> None:
    proxy = server.create(upstream=echo.address, name="py", listen="127.0.0.1:0")
    assert proxy.listen.startswith("127.0.0.1:")
    assert proxy.enabled
    assert set(server.proxies()) == {"py"}
    with pytest.raises(ProxyExists):
        server.create(upstream=echo.address, name="py")
    proxy.add_toxic(type="latency", attributes={"latency": 70})
    toxics = proxy.toxics()
    assert list(toxics) == ["latency_downstream"]
    assert toxics["latency_downstream"].attributes == {"latency": 70, "jitter": 0}
    with connect(proxy.listen) as sock:
        assert median_round_trip_s(sock, count=3) >= 0.069  # -1 ms timer rounding
        proxy.destroy_toxic("latency_downstream")
        assert median_round_trip_s(sock) < 0.05
    with pytest.raises(NotFound):
        proxy.destroy_toxic("latency_downstream")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    assert proxy.destroy()
    assert server.get_proxy("py") is None


def test_disable_enable_and_down(server: Toxiproxy, echo: EchoServer) -> None:
    proxy = server.create(upstream=echo.address, name="updown")
    with proxy.down(), pytest.raises(ConnectionRefusedError):
        socket.create_connection(addr(proxy.listen), timeout=2)
    with connect(proxy.listen) as sock:
        assert median_round_trip_s(sock, count=1) < 0.5
    proxy.disable()
    assert server.get_proxy("updown").enabled is False
    proxy.enable()
    assert server.get_proxy("updown").enabled is True


def test_populate_and_reset(server: Toxiproxy, echo: EchoServer) -> None:
    created = server.populate([{"name": "p1", "upstream": echo.address, "listen": "127.0.0.1:0"},
                               {"name": "p2", "upstream": echo.address, "listen": "127.0.0.1:0"}])
    assert sorted(p.name for p in created) == ["p1", "p2"]
    p1 = server.get_proxy("p1")
    p1.add_toxic(type="timeout", attributes={"timeout": 0})
    p1.disable()
    assert server.reset()
    assert server.get_proxy("p1").enabled is True
    assert server.get_proxy("p1").toxics() == {}
    server.destroy_all()
    assert server.proxies() == {}
