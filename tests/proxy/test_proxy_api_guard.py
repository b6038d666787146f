"""Slow and malformed clients cannot hold the API: the head deadline, the body deadline, the
connection cap, and aiohttp's parser errors as one DEBUG line."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from support.sockets import addr, closed_within, recv_all

from chaos.proxy import EmbeddedProxy, api

HEADER_TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def strict() -> Iterator[EmbeddedProxy]:
    """A server with a short head deadline and room for 3 API connections."""
    with EmbeddedProxy(header_timeout_s=HEADER_TIMEOUT_S, max_api_connections=3) as server:
        yield server


def dial(server: EmbeddedProxy) -> socket.socket:
    return socket.create_connection(addr(f"{server.host}:{server.port}"), timeout=5)


def test_a_stalled_head_is_closed_at_the_deadline(strict: EmbeddedProxy) -> None:
    with dial(strict) as sock:
        sock.sendall(b"GET /proxies HTTP/1.1\r\nHost: x\r\n")  # no blank line: the head never ends
        start = time.monotonic()
        assert closed_within(sock, 5)
        elapsed = time.monotonic() - start
    assert HEADER_TIMEOUT_S - 0.05 <= elapsed <= HEADER_TIMEOUT_S + 2, elapsed  # late by load only
    with dial(strict) as silent:  # a connection that sends nothing gets the same deadline
        assert closed_within(silent, 5)


def test_a_keep_alive_connection_may_idle_past_the_head_deadline(strict: EmbeddedProxy) -> None:
    with dial(strict) as sock:
        request = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request)
        assert b"200 OK" in sock.recv(4096)
        time.sleep(HEADER_TIMEOUT_S * 3)  # idle, not mid-head: aiohttp's keep-alive (60 s) applies
        sock.sendall(request)
        assert b"200 OK" in sock.recv(4096)


def test_connections_over_the_cap_get_503_then_a_slot_frees(strict: EmbeddedProxy) -> None:
    held = [dial(strict) for _ in range(3)]
    try:
        time.sleep(0.1)  # let the server accept them
        with dial(strict) as extra:
            answer = recv_all(extra, timeout_s=5)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert answer.endswith(b"too many connections to the API\r\n\r\n")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    assert httpx.get(strict.url + "/version", timeout=5).status_code == 200


def test_a_stalled_body_is_408(strict: EmbeddedProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "BODY_TIMEOUT_S", 0.3)
    with dial(strict) as sock:
        sock.sendall(b"POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na")
        answer = recv_all(sock, timeout_s=5)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"error":"bad request body: not received within 0.3 s","status":408}\n')
    assert httpx.get(strict.url + "/proxies", timeout=5).json() == {}


def test_parser_errors_are_one_debug_line(strict: EmbeddedProxy, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="chaos.proxy.api"):
        for bad in (b"GET /proxies HTTP/1.1\r\nNo colon here\r\n\r\n", b"\x16\x03\x01 not http\r\n\r\n",
                    b"GET /" + b"x" * 9000 + b" HTTP/1.1\r\n\r\n"):
            with dial(strict) as sock:
                sock.sendall(bad)
                assert recv_all(sock, timeout_s=5).startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 "))
    records = [r for r in caplog.records if r.name == "chaos.proxy.api"]
    assert len(records) == 3, [r.getMessage() for r in records]
    for record in records:
        assert record.levelno == logging.DEBUG
        assert record.exc_info is None
        assert record.getMessage().startswith("API: malformed request answered 400: ")
        assert "\n" not in record.getMessage()
