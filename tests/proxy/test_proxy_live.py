"""Live changes on open connections, proxy state changes, and TCP edge cases, over real sockets."""

from __future__ import annotations

import socket
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from support.sockets import (
    EchoServer,
    addr,
    closed_within,
    connect,
    median_round_trip_s,
    min_round_trip_s,
    recv_all,
    recv_exactly,
    unused_port,
)

from chaos.proxy import EmbeddedProxy, ProxyServer, ToxiproxyClient
from chaos.waiting import wait_until


@pytest.fixture
def listen(toxiproxy: ToxiproxyClient, echo: EchoServer) -> str:
    return toxiproxy.create_proxy("echo", upstream=echo.address).listen


def test_toxics_apply_to_live_connections_and_go_away_live(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as sock:
        assert min_round_trip_s(sock) < 0.05
        toxiproxy.add_toxic("echo", "latency", name="lag", attributes={"latency": 80})
        assert median_round_trip_s(sock, count=3) >= 0.079  # -1 ms timer rounding
        toxiproxy.update_toxic("echo", "lag", attributes={"latency": 160})
        assert median_round_trip_s(sock, count=3) >= 0.159
        toxiproxy.delete_toxic("echo", "lag")
        assert min_round_trip_s(sock) < 0.05  # back on the fast path


def test_bulk_data_survives_toxic_churn(toxiproxy: ToxiproxyClient, listen: str) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, echoed while toxics come and go
    with connect(listen) as sock:
        sock.sendall(payload[: len(payload) // 2])
        toxiproxy.add_toxic("echo", "latency", name="a", attributes={"latency": 5})
        toxiproxy.add_toxic("echo", "slicer", name="b", attributes={"average_size": 4096})
        toxiproxy.add_toxic("echo", "noop", name="c", stream="upstream")
        sock.sendall(payload[len(payload) // 2:])
        toxiproxy.delete_toxic("echo", "a")
        toxiproxy.update_toxic("echo", "b", attributes={"average_size": 8192})
        toxiproxy.delete_toxic("echo", "b")
        toxiproxy.delete_toxic("echo", "c")
        assert recv_exactly(sock, len(payload), timeout_s=10) == payload  # nothing lost or reordered


def test_disable_refuses_and_closes_then_enable_listens(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as live:
        assert median_round_trip_s(live, count=1) < 0.5
        toxiproxy.update_proxy("echo", enabled=False)
        assert closed_within(live, 2.0)  # the live connection is closed
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(addr(listen), timeout=2)
    toxiproxy.update_proxy("echo", enabled=True)
    with connect(listen) as sock:  # same address again
        assert median_round_trip_s(sock, count=1) < 0.5


def test_delete_closes_live_connections(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as live:
        toxiproxy.delete_proxy("echo")
        assert closed_within(live, 2.0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(addr(listen), timeout=2)


def test_unreachable_upstream_accepts_then_closes(toxiproxy: ToxiproxyClient) -> None:
    listen = toxiproxy.create_proxy("dead", upstream=f"127.0.0.1:{unused_port()}").listen
    with connect(listen) as sock:  # the connect succeeds (Toxiproxy issue #265)
        assert recv_all(sock, timeout_s=2) == b""


def test_reset_closes_timeout_connections_and_reenables(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "timeout", attributes={"timeout": 0})
    with connect(listen) as held:
        held.sendall(b"x")
        toxiproxy.update_proxy("echo", enabled=True)
        toxiproxy.reset()
        assert closed_within(held, 2.0)  # reset removed the timeout toxic, which closes its links
    assert toxiproxy.get_proxy("echo").toxics == ()
    with connect(listen) as sock:
        assert median_round_trip_s(sock, count=1) < 0.5


def test_timeout_removal_closes_even_noop_draws(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "timeout", toxicity=0.0, attributes={"timeout": 0})
    with connect(listen) as sock:
        assert median_round_trip_s(sock, count=1) < 0.5  # not blackholed: the draw said noop
        toxiproxy.delete_toxic("echo", "timeout_downstream")
        assert closed_within(sock, 2.0)  # yet removal closes it, as Toxiproxy's Cleanup does


def test_half_close_still_delivers_the_answer(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as sock:
        sock.sendall(b"request")
        sock.shutdown(socket.SHUT_WR)  # Toxiproxy closes both sides here; we half-close
        assert recv_all(sock) == b"request"


def test_listen_changes_keep_toxics(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "latency", attributes={"latency": 50})
    moved = toxiproxy.update_proxy("echo", listen="127.0.0.1:0")
    assert moved.listen != listen
    assert [t.name for t in moved.toxics] == ["latency_downstream"]
    with connect(moved.listen) as sock:
        assert median_round_trip_s(sock, count=1) >= 0.049


def test_seeded_draws_repeat(echo: EchoServer) -> None:
    def pattern() -> list[bool]:
        with EmbeddedProxy(seed=7) as server, ToxiproxyClient(server.url) as client:
            listen = client.create_proxy("s", upstream=echo.address).listen
            client.add_toxic("s", "latency", toxicity=0.5, attributes={"latency": 30})
            out = []
            for _ in range(8):
                with connect(listen) as sock:
                    out.append(min_round_trip_s(sock, count=3) >= 0.029)  # fastest of 3: load only adds
            return out

    assert pattern() == pattern()


# --- a real protocol ----------------------------------------------------------------------------


def test_redis_through_the_proxy(toxiproxy: ToxiproxyClient, redis_url: str) -> None:
    listen = toxiproxy.create_proxy("redis", upstream=redis_url).listen
    host, port = addr(listen)
    no_retry = Retry(NoBackoff(), 0)  # redis-py retries by default; we want to see each failure
    client = redis.Redis(host=host, port=port, socket_timeout=2, retry=no_retry)
    try:
        assert client.set("k", "v")
        assert client.get("k") == b"v"
        toxiproxy.add_toxic("redis", "latency", attributes={"latency": 100})
        start = time.perf_counter()
        assert client.get("k") == b"v"
        assert 0.095 <= time.perf_counter() - start <= 0.3  # 100 ms one way; +0.2 s scheduling
        toxiproxy.delete_toxic("redis", "latency_downstream")
        toxiproxy.add_toxic("redis", "reset_peer", attributes={"timeout": 0})
        with pytest.raises(redis.ConnectionError):
            client.get("k")
        toxiproxy.delete_toxic("redis", "reset_peer_downstream")
        toxiproxy.add_toxic("redis", "bandwidth", attributes={"rate": 0})  # testcontainers' "cut"
        with pytest.raises(redis.TimeoutError):
            redis.Redis(host=host, port=port, socket_timeout=0.3, retry=no_retry).ping()
        toxiproxy.reset()
        assert client.get("k") == b"v"
    finally:
        client.close()


def test_embedded_proxy_can_be_inspected_on_its_loop(proxy_server: EmbeddedProxy,
                                                     toxiproxy: ToxiproxyClient, listen: str) -> None:
    async def live_connections(server: ProxyServer) -> int:
        return server.proxies.get("echo").connections

    with connect(listen) as one, connect(listen) as two:
        for sock in (one, two):
            assert median_round_trip_s(sock, count=1) < 0.5
        assert proxy_server.call(live_connections) == 2


def test_closed_connections_are_released(proxy_server: EmbeddedProxy, toxiproxy: ToxiproxyClient,
                                         listen: str) -> None:
    async def held(server: ProxyServer) -> tuple[int, int]:
        proxy = server.proxies.get("echo")
        return proxy.connections, len(proxy.live_links())

    toxiproxy.add_toxic("echo", "latency", stream="upstream", attributes={"latency": 1})
    for i in range(20):
        with connect(listen) as sock:
            assert median_round_trip_s(sock, count=1) < 0.5
            if i % 2:
                sock.shutdown(socket.SHUT_WR)  # half the clients close politely, half just go
                assert recv_all(sock) == b""
    wait_until(lambda: proxy_server.call(held) == (0, 0), timeout_s=5, what="connections released")
