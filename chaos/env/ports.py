"""Loopback ports: ask the OS for a free one, check whether something listens on one, wait until not."""

from __future__ import annotations

import errno
import socket

from chaos.env.base import Endpoint
from chaos.errors import PortUnavailable
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["LOOPBACK", "check_port_free", "free_port", "port_accepts", "wait_port_closed"]

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port the OS just handed out for `host` (bound then released).

    Another process could take it before our server binds it; the ephemeral range is large and
    allocation is randomised, and a server that fails to bind reports it in its start error.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port_free(port: int, *, what: str, host: str = LOOPBACK) -> None:
    """Raise PortUnavailable unless `host:port` can be bound now, as the server about to take it would
    (SO_REUSEADDR, like asyncio's servers: a port in TIME_WAIT counts as free).

    Checked before a fixed port is handed to a child server, so a taken port is one clear line rather
    than that server's exit; should another process win the port in between, the server's own exit
    says so.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            problem = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
            raise PortUnavailable(what=what, host=host, port=port, problem=problem) from None


def port_accepts(endpoint: Endpoint, *, timeout_s: float = 0.5) -> bool:
    """True if a TCP connection to `endpoint` is accepted within `timeout_s`."""
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_port_closed(endpoint: Endpoint, *, name: str, timeout_s: float = 5.0) -> bool:
    """Wait (bounded) until nothing accepts on `endpoint` any more, after `name` was stopped.

    Returns False if something still listens after `timeout_s`, without raising: callers check
    `is_running()`, which reports a stray listener.
    """
    try:
        wait_until(lambda: not port_accepts(endpoint, timeout_s=0.2), timeout_s=timeout_s,
                   what=f"{name} to stop listening on {endpoint.address}")
    except WaitTimeout:
        return False
    return True
