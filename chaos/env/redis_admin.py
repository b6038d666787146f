"""What the suite asks Redis over its own connection, the same on both backends: PING and client count.

Our connections carry the client name `ADMIN_CLIENT_NAME`, so they are never counted as the SUT's.
"""

from __future__ import annotations

import redis as redis_py

from chaos.env.base import Endpoint

__all__ = ["ADMIN_CLIENT_NAME", "RedisAdmin"]

ADMIN_CLIENT_NAME = "chaos-admin"


class RedisAdmin:
    """The `RedisHandle` operations over an admin connection to `direct` (never through the proxy).

    Mixed into both backends' Redis handles, ahead of their lifecycle base, whose readiness hook
    `_check_ready` it fills in with a PING.
    """

    direct: Endpoint

    def _admin(self, *, timeout_s: float) -> redis_py.Redis:
        return redis_py.Redis(host=self.direct.host, port=self.direct.port, socket_timeout=timeout_s,
                              socket_connect_timeout=1.0, client_name=ADMIN_CLIENT_NAME)

    def _check_ready(self) -> bool:
        with self._admin(timeout_s=1.0) as client:
            return bool(client.ping())

    def client_count(self) -> int:
        """Connected clients other than our own admin connection."""
        with self._admin(timeout_s=2.0) as client:
            return sum(1 for c in client.client_list() if c.get("name") != ADMIN_CLIENT_NAME)
