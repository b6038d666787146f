"""Helpers for the proxy tests: real sockets with bounded reads, and small real servers."""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator

READ_TIMEOUT_S = 5.0


def addr(listen: str) -> tuple[str, int]:
    host, port = listen.rsplit(":", 1)
    return host.strip("[]"), int(port)


def connect(listen: str, *, timeout_s: float = READ_TIMEOUT_S) -> socket.socket:
    sock = socket.create_connection(addr(listen), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, n: int, *, timeout_s: float = READ_TIMEOUT_S) -> bytes:
    """Exactly n bytes, or AssertionError if the stream ends or stalls first."""
    deadline = time.monotonic() + timeout_s
    out = bytearray()
    while len(out) < n:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(n - len(out))
        assert chunk, f"stream ended after {len(out)} of {n} bytes"
        out += chunk
    return bytes(out)


def recv_all(sock: socket.socket, *, timeout_s: float = READ_TIMEOUT_S) -> bytes:
    """Everything until the peer closes (bounded by timeout_s: a stall raises TimeoutError)."""
    deadline = time.monotonic() + timeout_s
    out = bytearray()
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(out)
        out += chunk


def round_trip_s(sock: socket.socket, payload: bytes = b"ping") -> float:
    start = time.perf_counter()
    sock.sendall(payload)
    assert recv_exactly(sock, len(payload)) == payload
    return time.perf_counter() - start


def median_round_trip_s(sock: socket.socket, count: int = 5) -> float:
    return statistics.median(round_trip_s(sock) for _ in range(count))


def min_round_trip_s(sock: socket.socket, count: int = 5) -> float:
    """The fastest of `count` round trips: scheduling noise on a loaded machine only ever adds delay,
    so the minimum is the measurement least disturbed by it (a toxic cannot make a trip faster)."""
    return min(round_trip_s(sock) for _ in range(count))


def closed_within(sock: socket.socket, timeout_s: float) -> bool:
    """True if the peer closed (EOF or reset) within timeout_s, False if it stayed open."""
    sock.settimeout(timeout_s)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


class EchoServer:
    """A threaded echo server on 127.0.0.1: echoes until the client's EOF, then closes."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="echo", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._clients.add(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            while data := conn.recv(65536):
                conn.sendall(data)
        with self._lock:
            self._clients.discard(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        with self._lock:
            for conn in self._clients:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def echo_server() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()


def unused_port() -> int:
    """A port nothing listens on right now (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
