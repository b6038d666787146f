"""Helpers for the environment tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import socket
from pathlib import Path

from chaos.env.process import group_members


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def group_alive(pgid: int) -> bool:
    return bool(group_members(pgid))


TINY_TARGET = Path(__file__).parent / "targets" / "tiny" / "chaos.toml"
REFERENCE_TARGET = Path(__file__).resolve().parents[2] / "fixtures" / "sut" / "chaos.toml"


def sut_environ(pid: int) -> dict[str, str]:
    """The environment a process was started with, from /proc."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


# A quick target for CLI tests: http.server as the SUT, the fake external API as its only dependency.
HTTP_ONLY_SERVICE = '''command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
shutdown_grace_s = 3
[service.env]
EXTERNAL_API_URL = "{external.url}"
'''
HTTP_ONLY_DEPS = '[dependencies.external]\nkind = "http"\n'


def write_target(directory: Path, service: str, *, deps: str = "") -> Path:
    """A target file with the given [service] body (and optional dependency tables)."""
    path = directory / "chaos.toml"
    path.write_text(f"[service]\n{service}\n{deps}\n")
    return path
