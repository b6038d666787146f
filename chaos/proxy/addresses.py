"""`host:port` strings as Toxiproxy takes them: splitting, resolving, binding, and Go-style errors.

Divergence: an empty host (`":8080"`, or no `listen` at all) binds 127.0.0.1, not every interface
as Go's `net.Listen` does; only an explicit `0.0.0.0` or `[::]` listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket

from chaos.proxy.api_errors import server_error

__all__ = ["AddressError", "join_host_port", "normalize_listen", "open_listener", "split_host_port"]

LOOPBACK = "127.0.0.1"
LISTEN_BACKLOG = 1024


class AddressError(ValueError):
    """A `host:port` string that cannot be used; the message reads like Go's net errors."""


def split_host_port(addr: str) -> tuple[str, int]:
    """("host", port) from "host:port" or "[v6]:port", as Go's net.SplitHostPort, port checked."""
    if addr.startswith("["):
        end = addr.find("]")
        if end < 0:
            raise AddressError(f"address {addr}: missing ']' in address")
        host, rest = addr[1:end], addr[end + 1:]
        if not rest.startswith(":"):
            raise AddressError(f"address {addr}: missing port in address")
        port_text = rest[1:]
    else:
        if ":" not in addr:
            raise AddressError(f"address {addr}: missing port in address")
        host, port_text = addr.rsplit(":", 1)
        if ":" in host:
            raise AddressError(f"address {addr}: too many colons in address")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise AddressError(f"address {addr}: invalid port")
    return host, int(port_text)


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _resolve(addr: str) -> tuple[socket.AddressFamily, str, int]:
    host, port = split_host_port(addr)
    if not host:
        return socket.AF_INET, LOOPBACK, port
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip), port
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressError(f"lookup {host}: {exc.strerror}") from exc
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # prefer IPv4, as Go does for "localhost"
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0]), port


async def normalize_listen(listen: str) -> str:
    """The address `listen` resolves to (Go's ResolveTCPAddr(...).String()): "localhost:1" -> "127.0.0.1:1".

    Used to decide whether an update or populate changes a proxy (Toxiproxy 2.12, #631)."""
    try:
        _, host, port = await _resolve(listen or ":0")
    except AddressError as exc:
        raise server_error(str(exc)) from exc
    return join_host_port(host, port)


async def open_listener(listen: str) -> tuple[socket.socket, str]:
    """A listening, non-blocking socket for `listen` and its actual address ("127.0.0.1:54321").

    Raises ToxiproxyApiError 500 with Go's wording, e.g.
    "listen tcp 127.0.0.1:3310: bind: address already in use"."""
    try:
        family, host, port = await _resolve(listen or ":0")
    except AddressError as exc:
        raise server_error(f"listen tcp: {exc}") from exc
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go does on Unix
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        reason = reason[:1].lower() + reason[1:]
        raise server_error(f"listen tcp {join_host_port(host, port)}: bind: {reason}") from exc
    bound_host, bound_port = sock.getsockname()[:2]
    return sock, join_host_port(bound_host, bound_port)
