"""`accept: false` (chaos extension): the listener stays bound but accepts nothing and its queue is
kept full, so clients hit their *connect* timeout; measured here with raw sockets, httpx and psycopg,
next to what a disabled proxy gives (refused at once)."""

from __future__ import annotations

import socket
import time

import httpx
import psycopg
import pytest
from support.sockets import EchoServer, addr, connect, round_trip_s

from chaos.proxy import EmbeddedProxy, ProxyServer, ToxiproxyClient
from chaos.waiting import wait_until

CONNECT_TIMEOUT_S = 0.5
# A connect that gets no answer ends at the client's own timeout; the upper bound allows for a
# loaded 2-core machine. A refusal comes back at once (under 0.3 s, same allowance).
TIMEOUT_SLACK_S = 1.0
REFUSED_WITHIN_S = 0.3


def timed_connect(listen: str, timeout_s: float = CONNECT_TIMEOUT_S) -> tuple[type[BaseException] | None, float]:
    started = time.monotonic()
    try:
        socket.create_connection(addr(listen), timeout=timeout_s).close()
    except OSError as exc:
        return type(exc), time.monotonic() - started
    return None, time.monotonic() - started


def connections(proxy_server: EmbeddedProxy, name: str) -> int:
    async def count(server: ProxyServer) -> int:
        return server.proxies.get(name).connections
    return int(proxy_server.call(count))


def test_not_accepting_means_connect_timeout_not_refused(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("closed", upstream=echo.address)
    info = toxiproxy.update_proxy("closed", accept=False)
    assert not info.accepting
    assert info.listen == proxy.listen  # still bound to the same address
    for _ in range(3):  # the queue stays full: every attempt times out, not only the first
        error, took = timed_connect(proxy.listen)
        assert error is TimeoutError
        assert CONNECT_TIMEOUT_S - 0.05 <= took < CONNECT_TIMEOUT_S + TIMEOUT_SLACK_S
    toxiproxy.update_proxy("closed", enabled=False)
    error, took = timed_connect(proxy.listen)
    assert error is ConnectionRefusedError
    assert took < REFUSED_WITHIN_S


def test_live_connections_carry_on_and_accepting_resumes(proxy_server: EmbeddedProxy, toxiproxy: ToxiproxyClient,
                                                         echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("resume", upstream=echo.address)
    with connect(proxy.listen) as live:
        toxiproxy.update_proxy("resume", accept=False)
        assert round_trip_s(live) < 1.0
        assert timed_connect(proxy.listen)[0] is TimeoutError
        toxiproxy.update_proxy("resume", accept=True)
        with connect(proxy.listen) as fresh:
            assert round_trip_s(fresh) < 1.0
            # the connections parked in the queue were dropped, not relayed upstream: just ours remain
            wait_until(lambda: connections(proxy_server, "resume") == 2, timeout_s=2, what="two live connections")
    assert toxiproxy.get_proxy("resume").accepting


def test_the_mode_survives_disable_and_enable_and_reset_clears_it(toxiproxy: ToxiproxyClient,
                                                                   echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("kept", upstream=echo.address)
    toxiproxy.update_proxy("kept", accept=False)
    toxiproxy.update_proxy("kept", enabled=False)
    assert toxiproxy.update_proxy("kept", enabled=True).accepting is False
    assert timed_connect(proxy.listen)[0] is TimeoutError
    toxiproxy.reset()
    assert toxiproxy.get_proxy("kept").accepting
    with connect(proxy.listen) as sock:
        assert round_trip_s(sock) < 1.0


def test_a_lease_resumes_accepting(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("leased_closed", upstream=echo.address)
    info = toxiproxy.update_proxy("leased_closed", accept=False, lease_s=0.5)
    assert info.lease("not_accepting") is not None
    # the lease fires within ms of 0.5 s; 2 s more allows for polling on a loaded machine
    wait_until(lambda: toxiproxy.get_proxy("leased_closed").accepting, timeout_s=2.5, interval_s=0.02,
               what="accepting again after the lease")
    assert timed_connect(proxy.listen)[0] is None


def test_wire_form(api: httpx.Client, echo: EchoServer) -> None:
    api.post("/proxies", json={"name": "wire", "listen": "127.0.0.1:0", "upstream": echo.address})
    body = api.patch("/proxies/wire", json={"accept": False}).json()
    assert body["accept"] is False
    assert "accept" not in api.patch("/proxies/wire", json={"accept": True}).json()
    bad = api.patch("/proxies/wire", json={"accept": "no"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad request body: accept: expected true or false, "
                                                           "got string 'no'")


def test_httpx_sees_connect_timeout_and_refusal_apart(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("http_closed", upstream=echo.address)
    url = f"http://{proxy.listen}/"
    toxiproxy.update_proxy("http_closed", accept=False)
    started = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout):
        httpx.get(url, timeout=httpx.Timeout(5.0, connect=CONNECT_TIMEOUT_S))
    took = time.monotonic() - started
    assert CONNECT_TIMEOUT_S - 0.05 <= took < CONNECT_TIMEOUT_S + TIMEOUT_SLACK_S
    toxiproxy.update_proxy("http_closed", enabled=False)
    with pytest.raises(httpx.ConnectError) as refused:
        httpx.get(url, timeout=httpx.Timeout(5.0, connect=CONNECT_TIMEOUT_S))
    assert not isinstance(refused.value, httpx.ConnectTimeout)


def test_psycopg_sees_connect_timeout_and_refusal_apart(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    """libpq's connect_timeout is whole seconds (minimum 2 since PostgreSQL 12); nothing answers
    behind this proxy, which is the point: the connection never gets that far."""
    proxy = toxiproxy.create_proxy("pg_closed", upstream=echo.address)
    host, port = addr(proxy.listen)
    toxiproxy.update_proxy("pg_closed", accept=False)
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError) as timed_out:
        psycopg.connect(host=host, port=port, user="x", dbname="x", connect_timeout=2)
    took = time.monotonic() - started
    assert "timeout expired" in str(timed_out.value)
    assert 2.0 - 0.05 <= took < 2.0 + TIMEOUT_SLACK_S
    toxiproxy.update_proxy("pg_closed", enabled=False)
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host=host, port=port, user="x", dbname="x", connect_timeout=2)
    assert "Connection refused" in str(refused.value)
    assert time.monotonic() - started < REFUSED_WITHIN_S + 0.2  # libpq tries once per address
