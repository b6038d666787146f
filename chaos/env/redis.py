"""Redis for one environment: redis-server on loopback with no persistence (a restart empties it)."""

from __future__ import annotations

from pathlib import Path

from chaos.env._server import LocalServer
from chaos.env.redis_admin import RedisAdmin
from chaos.env.registry import Tracker
from chaos.env.urls import redis_url

__all__ = ["LocalRedis"]


class LocalRedis(RedisAdmin, LocalServer):
    """A `RedisHandle` backed by a redis-server process of ours."""

    kind = "redis"
    stop_timeout_s = 5.0

    def __init__(self, *, name: str, dir: Path, port: int, tracker: Tracker, redis_server: Path) -> None:
        super().__init__(name=name, dir=dir, port=port, tracker=tracker)
        self.redis_server = redis_server

    def _argv(self) -> list[str]:
        return [str(self.redis_server), "--bind", self.direct.host, "--port", str(self.direct.port),
                "--save", "", "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "no",
                "--daemonize", "no", "--logfile", ""]

    def url(self, *, proxied: bool = True) -> str:
        return redis_url(self.proxied if proxied else self.direct)
