"""Postgres for one environment: a fresh cluster copied from the cached template, on loopback only.

Runs as the unprivileged `postgres` user when we are root. Durability is off (fsync, full page
writes, synchronous commit) because the data is thrown away, and that makes start and restart
fast. There is no Unix socket: every client, the SUT included, comes over TCP.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from chaos.env._server import LocalServer
from chaos.env._shm import release_segment_of
from chaos.env.pgtemplate import clone_cluster, ensure_template, make_spare
from chaos.env.process import RunAs
from chaos.env.registry import Tracker
from chaos.env.tools import PostgresTools
from chaos.target import Dependency

__all__ = ["ADMIN_APPLICATION_NAME", "LocalPostgres"]

ADMIN_APPLICATION_NAME = "chaos-admin"   # our own connections, never counted as the SUT's

_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # in the data dir, not /dev/shm: a SIGKILLed cluster leaves nothing behind once the dir is gone
    "dynamic_shared_memory_type": "mmap",
    "max_connections": "100",
}

_CLIENT_BACKENDS = sql.SQL(
    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
    "AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM {admin} ORDER BY pid"
).format(admin=sql.Literal(ADMIN_APPLICATION_NAME))


def _reachable_by(path: Path, user: RunAs) -> bool:
    """True if `user` may traverse every directory down to `path` (search permission on each)."""
    for part in (path, *path.parents):
        st = part.stat()
        if st.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif st.st_gid == user.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


class LocalPostgres(LocalServer):
    """A `PostgresHandle`: the cluster, the target's role and database, and the admin operations."""

    kind = "postgres"
    stop_signal = signal.SIGINT     # "fast" shutdown: ends sessions, no waiting for clients
    stop_timeout_s = 10.0

    def __init__(self, *, dependency: Dependency, dir: Path, port: int, tracker: Tracker,
                 tools: PostgresTools, run_as: RunAs | None, cache_dir: Path | None = None,
                 spares_dir: Path | None = None) -> None:
        super().__init__(name=dependency.name, dir=dir, port=port, tracker=tracker)
        self.dependency = dependency
        self.tools = tools
        self.run_as = run_as
        self.cache_dir = cache_dir
        self.spares_dir = spares_dir
        self.template: Path | None = None
        self.used_spare = False   # the cluster came from a spare (a rename) rather than a copy
        self.data_dir = dir / "data"
        self._outside_dirs: list[Path] = []

    # --- LocalServer hooks -------------------------------------------------------------------------

    def _prepare(self) -> None:
        template = self.template = ensure_template(self.tools, self.run_as, self.cache_dir)
        if self.run_as is not None:
            os.chmod(self.dir, 0o711)    # the server user must reach its data dir inside ours
            if not _reachable_by(self.dir, self.run_as):
                # e.g. under pytest's 0700 /tmp/pytest-of-root: keep the cluster in a temp dir of its
                # own instead of loosening the caller's directories; the registry learns about it
                outside = Path(tempfile.mkdtemp(prefix=f"chaos-pg-{self.name}-"))
                os.chmod(outside, 0o711)
                self.tracker.path_created(outside)
                self._outside_dirs.append(outside)
                self.data_dir = outside / "data"
        self.used_spare = clone_cluster(template, self.data_dir, spares=self._spares())

    def _spares(self) -> Path | None:
        if self.spares_dir is None or self.template is None:
            return None
        return self.spares_dir / self.template.name

    def replenish_spare(self) -> None:
        """Copy the template into the spares dir for the next environment (called while closing)."""
        spares = self._spares()
        if spares is not None and self.template is not None:
            make_spare(self.template, spares)

    def _argv(self) -> list[str]:
        argv = [str(self.tools.postgres), "-D", str(self.data_dir), "-c", f"port={self.direct.port}"]
        for key, value in _SERVER_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _check_ready(self) -> bool:
        with self._admin() as conn:
            conn.execute("SELECT 1")
        return True

    def _after_first_ready(self) -> None:
        dep = self.dependency
        with self._admin() as conn:
            if dep.user != "postgres":
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(dep.user), sql.Literal(dep.password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(dep.database), sql.Identifier(dep.user)))
        if dep.init_sql is not None:
            script = dep.init_sql.read_text()
            with psycopg.connect(self._dsn_kw(user=dep.user, dbname=dep.database), autocommit=True) as conn:
                conn.execute(script.encode())   # no parameters: simple protocol, several statements

    def _after_close(self) -> None:
        release_segment_of(self.data_dir)
        for path in self._outside_dirs:
            shutil.rmtree(path, ignore_errors=True)

    # --- PostgresHandle ----------------------------------------------------------------------------

    def dsn(self, *, proxied: bool = True) -> str:
        """postgresql://user:password@127.0.0.1:PORT/db, through the proxy unless `proxied=False`."""
        dep = self.dependency
        end = self.proxied if proxied else self.direct
        return (f"postgresql://{quote(dep.user, safe='')}:{quote(dep.password, safe='')}"
                f"@{end.host}:{end.port}/{quote(dep.database, safe='')}")

    def url(self, *, proxied: bool = True) -> str:
        return self.dsn(proxied=proxied)

    def admin_dsn(self) -> str:
        """A superuser DSN straight to the server (not proxied), tagged so it never counts as the SUT."""
        return self._dsn_kw(user="postgres", dbname="postgres")

    def client_backend_pids(self) -> list[int]:
        """Backend PIDs of every client connection except ours (the SUT's pool, mostly)."""
        with self._admin() as conn:
            return [row[0] for row in conn.execute(_CLIENT_BACKENDS).fetchall()]

    def terminate_client_backends(self) -> list[int]:
        """pg_terminate_backend() on each client backend (not ours); returns the PIDs terminated."""
        query = sql.SQL("SELECT pid FROM ({}) AS b WHERE pg_terminate_backend(pid)").format(_CLIENT_BACKENDS)
        with self._admin() as conn:
            return [row[0] for row in conn.execute(query).fetchall()]

    # --- helpers -----------------------------------------------------------------------------------

    def _dsn_kw(self, *, user: str, dbname: str) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.direct.host, port=self.direct.port, user=user, dbname=dbname,
            application_name=ADMIN_APPLICATION_NAME, connect_timeout=2)

    def _admin(self) -> psycopg.Connection[tuple[int]]:
        conn: psycopg.Connection[tuple[int]] = psycopg.connect(self.admin_dsn(), autocommit=True)
        return conn
