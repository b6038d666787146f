"""Our typed client: against the embedded proxy, and against small real HTTP servers that answer as
older Toxiproxy versions did (raw-text /version, no PATCH)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support.sockets import EchoServer, connect, median_round_trip_s, recv_exactly, unused_port

from chaos.errors import ToxiproxyApiError
from chaos.proxy import EmbeddedProxy, ProxyInfo, ToxicInfo, ToxiproxyClient


def test_typed_round_trip(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    assert toxiproxy.version() == "2.12.0"
    info = toxiproxy.create_proxy("c", upstream=echo.address)
    assert isinstance(info, ProxyInfo)
    assert (info.name, info.upstream, info.enabled, info.toxics) == ("c", echo.address, True, ())
    toxic = toxiproxy.add_toxic("c", "latency", attributes={"latency": 20})
    assert toxic == ToxicInfo(name="latency_downstream", type="latency", stream="downstream", toxicity=1.0,
                              attributes={"latency": 20, "jitter": 0})
    assert toxiproxy.update_toxic("c", toxic.name, attributes={"jitter": 1}).attributes == {"latency": 20,
                                                                                           "jitter": 1}
    assert toxiproxy.update_toxic("c", toxic.name, toxicity=0.25).toxicity == 0.25
    assert toxiproxy.get_toxic("c", toxic.name).attributes["jitter"] == 1
    assert [t.name for t in toxiproxy.toxics("c")] == [toxic.name]
    assert toxiproxy.get_proxy("c").toxics[0].name == toxic.name
    assert list(toxiproxy.proxies()) == ["c"]
    assert toxiproxy.update_proxy("c", enabled=False).enabled is False
    toxiproxy.reset()
    assert toxiproxy.get_proxy("c").enabled is True
    assert toxiproxy.toxics("c") == []
    populated = toxiproxy.populate([{"name": "c", "listen": info.listen, "upstream": echo.address},
                                    {"name": "d", "listen": "127.0.0.1:0", "upstream": echo.address}])
    assert [p.name for p in populated] == ["c", "d"]
    toxiproxy.add_toxic("d", "noop", name="n")
    toxiproxy.delete_toxic("d", "n")
    assert toxiproxy.toxics("d") == []
    toxiproxy.delete_proxy("d")
    assert list(toxiproxy.proxies()) == ["c"]


def test_errors_carry_status_message_and_request(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    with pytest.raises(ToxiproxyApiError) as caught:
        toxiproxy.get_proxy("missing")
    assert (caught.value.status, caught.value.message) == (404, "proxy not found: missing")
    assert (caught.value.method, caught.value.path) == ("GET", "/proxies/missing")
    toxiproxy.create_proxy("e", upstream=echo.address)
    with pytest.raises(ToxiproxyApiError) as caught:
        toxiproxy.create_proxy("e", upstream=echo.address)
    assert (caught.value.status, caught.value.message) == (409, "proxy already exists: e")
    with pytest.raises(ToxiproxyApiError) as caught:
        toxiproxy.add_toxic("e", "latency", attributes={"latency": -1})
    assert caught.value.status == 400
    assert "latency" in caught.value.message
    with pytest.raises(ToxiproxyApiError) as caught:
        toxiproxy.delete_toxic("e", "missing")
    assert (caught.value.status, caught.value.message) == (404, "toxic not found: missing")


def test_unreachable_server_is_status_0() -> None:
    with ToxiproxyClient(f"http://127.0.0.1:{unused_port()}", timeout_s=1) as client:
        start = time.monotonic()
        with pytest.raises(ToxiproxyApiError) as caught:
            client.proxies()  # a GET: retried, still bounded
        assert caught.value.status == 0
        assert "cannot reach" in caught.value.message
        assert time.monotonic() - start < 3  # 3 attempts, 0.1 + 0.2 s backoff


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:  # listens (the kernel accepts) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with ToxiproxyClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.3) as client:
            start = time.monotonic()
            with pytest.raises(ToxiproxyApiError) as caught:
                client.reset()
            assert caught.value.status == 0
            assert time.monotonic() - start < 2  # the 0.3 s timeout, not forever


class OldToxiproxy(BaseHTTPRequestHandler):
    """Answers like a Toxiproxy < 2.6: no PATCH (405), and a configurable /version body."""

    version_body = b"2.1.4"
    calls: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.calls.append(f"GET {self.path}")
        self._send(200, self.version_body)

    def do_PATCH(self) -> None:
        self.calls.append(f"PATCH {self.path}")
        self._send(405, b"")

    def do_POST(self) -> None:
        self.calls.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        if self.path == "/proxies/p":
            proxy = {"name": "p", "listen": "127.0.0.1:1", "upstream": "x:1", "toxics": None, **body}
            self._send(200, json.dumps(proxy).encode(), "application/json")
        else:  # errors as JSON under text/plain, with 2.0's "title"
            self._send(404, b'{"title":"toxic not found","status":404}\n')


@contextlib.contextmanager
def old_server() -> Iterator[str]:
    OldToxiproxy.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), OldToxiproxy)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(("body", "expected"), [
    (b"2.1.4", "2.1.4"),  # <= 2.5: raw text
    (b'{"version": "2.6.0"}\\n', "2.6.0"),  # 2.6: a literal backslash-n, invalid JSON
    (b'{"version": "2.12.0"}\n', "2.12.0"),  # 2.7+
])
def test_version_is_normalised(body: bytes, expected: str) -> None:
    OldToxiproxy.version_body = body
    with old_server() as url, ToxiproxyClient(url) as client:
        assert client.version() == expected


def test_updates_fall_back_to_post_on_405_and_errors_parse_from_text() -> None:
    with old_server() as url, ToxiproxyClient(url) as client:
        assert client.update_proxy("p", enabled=False).enabled is False
        assert client.update_proxy("p", enabled=True).enabled is True
        with pytest.raises(ToxiproxyApiError) as caught:
            client.update_toxic("p", "t", toxicity=0.5)
        assert (caught.value.status, caught.value.message) == (404, "toxic not found")
    # PATCH once, then the client remembers that this server wants POST
    assert OldToxiproxy.calls == ["PATCH /proxies/p", "POST /proxies/p", "POST /proxies/p",
                                  "POST /proxies/p/toxics/t"]


def test_client_drives_a_live_connection(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    listen = toxiproxy.create_proxy("live", upstream=echo.address).listen
    with connect(listen) as sock:
        toxiproxy.add_toxic("live", "latency", stream="upstream", attributes={"latency": 60})
        assert median_round_trip_s(sock, count=3) >= 0.059  # -1 ms timer rounding


def test_proxy_bytes_reads_live_counters(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    assert toxiproxy.create_proxy("quiet", upstream=echo.address)
    assert toxiproxy.proxy_bytes("quiet") is None  # metrics off on the session's server
    with EmbeddedProxy(metrics=True) as server, ToxiproxyClient(server.url) as client:
        listen = client.create_proxy('odd "name"', upstream=echo.address).listen
        client.create_proxy("other", upstream=echo.address)
        assert client.proxy_bytes('odd "name"') == 0
        with connect(listen) as sock:
            sock.sendall(b"x" * 500)
            assert recv_exactly(sock, 500)
            assert client.proxy_bytes('odd "name"') == 1000  # 500 up + 500 down, connection still open
        assert client.proxy_bytes("other") == 0
    with old_server() as url, ToxiproxyClient(url) as client:
        assert client.proxy_bytes("p") is None  # counters without our "live" mark do not count
