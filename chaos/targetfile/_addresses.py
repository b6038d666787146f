"""The loopback rule for every URL a target file names: traffic goes to 127.0.0.0/8 unless opted in.

A chaos suite sends load and faults; pointed by mistake at someone else's host, it is an attack. So
the service's URL and every guard probe URL must be loopback unless `[service].allow_remote = true`.
URLs are parsed defensively: `urlsplit` raises on a malformed IPv6 literal, `.port` on a bad port,
and a URL with whitespace or control characters is refused outright (a trailing newline from a
heredoc is a classic).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from chaos.targetfile._fields import Problems, describe

__all__ = ["check_url", "is_loopback"]

_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(problems: Problems, key: str, url: str, *, allow_remote: bool, shown: str | None = None,
              schemes: tuple[str, ...] = ("http", "https")) -> bool:
    """Record what is wrong with `url` (one of `schemes`, loopback unless `allow_remote`); True when fine.

    `shown` is the text to quote (the template as written, when `url` is a rendered sample)."""
    quoted = describe(shown if shown is not None else url)
    if _UNSAFE.search(url):
        problems.add(key, f"a URL cannot contain spaces or control characters (a trailing newline?): {quoted}")
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        problems.add(key, f"not a valid URL ({exc}): {quoted}")
        return False
    if parts.scheme not in schemes or not host:
        wanted = "http(s)" if schemes == ("http", "https") else "|".join(schemes)
        problems.add(key, f"expected {wanted}://host:port, got {quoted}")
        return False
    if not allow_remote and not is_loopback(host):
        problems.add(key, f"host {describe(host)} is not a loopback address; the suite only sends traffic to "
                          "127.0.0.0/8 unless you set allow_remote = true in [service]")
        return False
    return True
