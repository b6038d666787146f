"""The fake external API for one environment: `python -m chaos.upstream` on a fixed loopback port."""

from __future__ import annotations

from pathlib import Path

from chaos.env._server import LocalServer
from chaos.env.registry import Tracker
from chaos.env.urls import http_url
from chaos.upstream.control import UpstreamControl

__all__ = ["LocalUpstream"]


class LocalUpstream(LocalServer):
    """An `HttpUpstreamHandle`; `control` switches its behaviour and reads its request log."""

    kind = "http"
    stop_timeout_s = 5.0

    def __init__(self, *, name: str, dir: Path, port: int, tracker: Tracker, python: str) -> None:
        super().__init__(name=name, dir=dir, port=port, tracker=tracker)
        self.python = python
        self.ready_file = dir / "ready"
        self.control = UpstreamControl(self.url(proxied=False))

    def _argv(self) -> list[str]:
        self.ready_file.unlink(missing_ok=True)    # the new process writes it once it listens
        return [self.python, "-m", "chaos.upstream", "--host", self.direct.host, "--port",
                str(self.direct.port), "--ready-file", str(self.ready_file)]

    def _check_ready(self) -> bool:
        return self.ready_file.is_file() and self.ready_file.read_text().strip() != ""

    def url(self, *, proxied: bool = True) -> str:
        return http_url(self.proxied if proxied else self.direct)

    def _after_close(self) -> None:
        self.control.close()
