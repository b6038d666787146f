"""`host:port` strings as Toxiproxy takes them: splitting, resolving, the listen policy, binding.

What a proxy may listen on is decided here, before anything binds or is stored:
- a malformed address (no port, a port that is not ASCII digits, `127.0.0.1:²`, Arabic-Indic
  digits, a port above 65535) is a 400 `invalid listen address`, where Go would try to bind it
  and answer 500;
- loopback only (127.0.0.0/8, ::1) unless the server runs with `allow_remote`, and no privileged
  port (1-1023) unless it runs with `allow_privileged_ports`: a 400 `listen address not allowed`.
  An unauthenticated proxy on a network interface relays anyone to whatever its upstream reaches;
- a host name that does not resolve, or an address the OS will not bind (in use, not ours), keeps
  Toxiproxy's 500 with Go's wording (`listen tcp 127.0.0.1:3310: bind: address already in use`):
  clients test for that status, and it is the machine's state, not the request, that is wrong.

Divergence: an empty host (`":8080"`, or no `listen` at all) binds 127.0.0.1, not every interface
as Go's `net.Listen` does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from dataclasses import dataclass

from chaos.proxy.api_errors import INVALID_LISTEN, LISTEN_NOT_ALLOWED, server_error

__all__ = [
    "AddressError",
    "ListenPolicy",
    "check_listen",
    "is_loopback_host",
    "join_host_port",
    "normalize_listen",
    "open_listener",
    "split_host_port",
]

LOOPBACK = "127.0.0.1"
LISTEN_BACKLOG = 1024
PRIVILEGED_BELOW = 1024
MAX_PORT = 65535
MAX_ADDRESS_CHARS = 261  # a 253-character DNS name, a colon and a port, with room for IPv6 brackets


class AddressError(ValueError):
    """A `host:port` string that cannot be used; the message reads like Go's net errors."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenPolicy:
    """Where proxies may listen: the server's opt-ins (`chaos proxy --allow-remote`, ...)."""

    allow_remote: bool = False
    allow_privileged_ports: bool = False

    def problem(self, ip: str, port: int) -> str | None:
        """Why `ip:port` may not be listened on, naming the opt-in that would allow it, or None."""
        if not self.allow_remote and not ipaddress.ip_address(ip).is_loopback:
            return (f"{join_host_port(ip, port)} is not a loopback address: proxies listen on 127.0.0.0/8 "
                    "or [::1] unless the server runs with --allow-remote")
        if not self.allow_privileged_ports and 0 < port < PRIVILEGED_BELOW:
            return (f"port {port} is privileged (below {PRIVILEGED_BELOW}): use a port from "
                    f"{PRIVILEGED_BELOW} to {MAX_PORT}, or 0 for a free one, unless the server runs "
                    "with --allow-privileged-ports")
        return None


def split_host_port(addr: str) -> tuple[str, int]:
    """("host", port) from "host:port" or "[v6]:port", as Go's net.SplitHostPort, port checked:
    ASCII digits only (str.isdigit also takes "²" and "١٨٥٠٠"), 0 to 65535."""
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
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5 or int(port_text) > MAX_PORT:
        raise AddressError(f"address {addr}: invalid port (expected 0 to {MAX_PORT} in ASCII digits)")
    return host, int(port_text)


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback_host(host: str) -> bool:
    """Whether `host` (an address or a name, resolved here) means this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0])).is_loopback for info in infos)


async def _resolve(addr: str) -> tuple[socket.AddressFamily, str, int]:
    """Family, IP and port of a listen address; 400 if it is malformed, 500 if the name is unknown."""
    if len(addr) > MAX_ADDRESS_CHARS:
        raise INVALID_LISTEN.error(f"{len(addr)} characters, more than {MAX_ADDRESS_CHARS}")
    try:
        host, port = split_host_port(addr)
    except AddressError as exc:
        raise INVALID_LISTEN.error(str(exc)) from exc
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
        raise server_error(f"listen tcp: lookup {host}: {exc.strerror}") from exc
    except ValueError as exc:  # a label the IDNA codec refuses (empty, over 63 characters)
        raise INVALID_LISTEN.error(f"address {addr}: invalid host name") from exc
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # prefer IPv4, as Go does for "localhost"
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0]), port


async def check_listen(listen: str, policy: ListenPolicy) -> tuple[socket.AddressFamily, str, int]:
    """Family, IP and port `listen` binds, after the policy: raises ToxiproxyApiError (see above).
    Called for every listen address a request stores, enabled or not, so a stored proxy can
    always be started again later (`POST /reset`)."""
    family, host, port = await _resolve(listen or ":0")
    problem = policy.problem(host, port)
    if problem is not None:
        raise LISTEN_NOT_ALLOWED.error(problem)
    return family, host, port


async def normalize_listen(listen: str) -> str:
    """The address `listen` resolves to (Go's ResolveTCPAddr(...).String()): "localhost:1" -> "127.0.0.1:1".

    Used to decide whether an update or populate changes a proxy (Toxiproxy 2.12, #631)."""
    _, host, port = await _resolve(listen or ":0")
    return join_host_port(host, port)


async def open_listener(listen: str, policy: ListenPolicy) -> tuple[socket.socket, str]:
    """A listening, non-blocking socket for `listen` and its actual address ("127.0.0.1:54321").

    Raises ToxiproxyApiError: 400 for a refused address, 500 with Go's wording when binding fails,
    e.g. "listen tcp 127.0.0.1:3310: bind: address already in use"."""
    family, host, port = await check_listen(listen, policy)
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
