"""Redis for one environment: redis-server on loopback with no persistence (a restart empties it)."""

from __future__ import annotations

from pathlib import Path

import redis as redis_py

from chaos.env._server import LocalServer
from chaos.env.registry import Tracker

__all__ = ["ADMIN_CLIENT_NAME", "LocalRedis"]

ADMIN_CLIENT_NAME = "chaos-admin"


class LocalRedis(LocalServer):
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

    def _check_ready(self) -> bool:
        with redis_py.Redis(host=self.direct.host, port=self.direct.port, socket_timeout=1.0,
                            socket_connect_timeout=1.0, client_name=ADMIN_CLIENT_NAME) as client:
            return bool(client.ping())

    def url(self, *, proxied: bool = True) -> str:
        end = self.proxied if proxied else self.direct
        return f"redis://{end.host}:{end.port}/0"

    def client_count(self) -> int:
        """Connected clients other than our own admin connection."""
        with redis_py.Redis(host=self.direct.host, port=self.direct.port, socket_timeout=2.0,
                            socket_connect_timeout=1.0, client_name=ADMIN_CLIENT_NAME) as client:
            return sum(1 for c in client.client_list() if c.get("name") != ADMIN_CLIENT_NAME)
