"""What the suite does to Postgres over its own admin connection, the same on both backends.

Our connections carry `application_name = ADMIN_APPLICATION_NAME`, so they are never counted (or
terminated) as the SUT's. The backends differ only in which role the admin connection uses (the
local cluster's superuser; in a container, the target's role the image created), so each handle
supplies `admin_dsn()` and `PostgresAdmin` does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from chaos.env.base import Endpoint

__all__ = ["ADMIN_APPLICATION_NAME", "ClientBackend", "PostgresAdmin", "admin_conninfo"]

ADMIN_APPLICATION_NAME = "chaos-admin"   # our own connections, never counted as the SUT's

_CLIENT_BACKENDS = sql.SQL(
    "SELECT pid, coalesce(state, ''), coalesce(application_name, '') FROM pg_stat_activity "
    "WHERE backend_type = 'client backend' "
    "AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM {admin} ORDER BY pid"
).format(admin=sql.Literal(ADMIN_APPLICATION_NAME))

_TERMINATE_CLIENT_BACKENDS = sql.SQL(
    "SELECT pid FROM ({}) AS b WHERE pg_terminate_backend(pid)").format(_CLIENT_BACKENDS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientBackend:
    """One connection the service holds, as Postgres sees it: `state` is "idle" for a pooled
    connection waiting for work, "active" or "idle in transaction" for one in use."""

    pid: int
    state: str
    application_name: str = ""

    @property
    def idle(self) -> bool:
        return self.state == "idle"


def admin_conninfo(endpoint: Endpoint, *, user: str, dbname: str, password: str | None = None) -> str:
    """A DSN straight to the server at `endpoint` (never through the proxy), tagged as ours."""
    return psycopg.conninfo.make_conninfo(
        host=endpoint.host, port=endpoint.port, user=user, password=password, dbname=dbname,
        application_name=ADMIN_APPLICATION_NAME, connect_timeout=2)


class PostgresAdmin:
    """The `PostgresHandle` operations done over the admin connection; the handle provides `admin_dsn()`.

    Mixed into both backends' Postgres handles, ahead of their lifecycle base, whose readiness hook
    `_check_ready` it fills in: a login and `SELECT 1`, the path every client takes.
    """

    def admin_dsn(self) -> str:
        raise NotImplementedError

    def _admin(self) -> psycopg.Connection[tuple[int]]:
        conn: psycopg.Connection[tuple[int]] = psycopg.connect(self.admin_dsn(), autocommit=True)
        return conn

    def _check_ready(self) -> bool:
        with self._admin() as conn:
            conn.execute("SELECT 1")
        return True

    def client_backends(self) -> list[ClientBackend]:
        """Every client connection except ours (the service's pools: all its processes'), with its state."""
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            rows = conn.execute(_CLIENT_BACKENDS).fetchall()
        return [ClientBackend(pid=int(pid), state=str(state), application_name=str(app)) for pid, state, app in rows]

    def client_backend_pids(self) -> list[int]:
        """Backend PIDs of every client connection except ours (the SUT's pool, mostly)."""
        return [b.pid for b in self.client_backends()]

    def terminate_client_backends(self) -> list[int]:
        """pg_terminate_backend() on each client backend (not ours); returns the PIDs terminated."""
        with self._admin() as conn:
            return [row[0] for row in conn.execute(_TERMINATE_CLIENT_BACKENDS).fetchall()]
