"""Loopback ports: ask the OS for a free one, and check whether something listens on one."""

from __future__ import annotations

import socket

from chaos.env.base import Endpoint

__all__ = ["LOOPBACK", "free_port", "port_accepts"]

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


def port_accepts(endpoint: Endpoint, *, timeout_s: float = 0.5) -> bool:
    """True if a TCP connection to `endpoint` is accepted within `timeout_s`."""
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            return True
    except OSError:
        return False
