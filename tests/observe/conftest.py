"""A real HTTP server for the load generator, burst, prober and steady-state tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from support.http_server import ObservedServer, start_server, stop_server

from chaos.observe import Timeline


@pytest.fixture(scope="module")
def http_server() -> Iterator[ObservedServer]:
    """A small aiohttp server on 127.0.0.1 in its own thread, for the module."""
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def server(http_server: ObservedServer) -> ObservedServer:
    """The module's server with its arrival log cleared."""
    http_server.clear()
    return http_server


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()
