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

from psycopg import sql

from chaos.env._server import LocalServer
from chaos.env._shm import release_segment_of
from chaos.env.pgtemplate import clone_cluster, ensure_template, is_template, make_spare, publish_template
from chaos.env.postgres_admin import PostgresAdmin, admin_conninfo
from chaos.env.process import RunAs
from chaos.env.psql import SqlConnection, find_psql, run_sql_file
from chaos.env.registry import Tracker
from chaos.env.tools import PostgresTools
from chaos.env.urls import postgres_url
from chaos.targetfile import Dependency

__all__ = ["LocalPostgres"]

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


class LocalPostgres(PostgresAdmin, LocalServer):
    """A `PostgresHandle`: the cluster, the target's role and database, and the admin operations."""

    kind = "postgres"
    stop_signal = signal.SIGINT     # "fast" shutdown: ends sessions, no waiting for clients
    stop_timeout_s = 10.0

    def __init__(self, *, dependency: Dependency, dir: Path, port: int, tracker: Tracker,
                 tools: PostgresTools, run_as: RunAs | None, cache_dir: Path | None = None,
                 spares_dir: Path | None = None, prepared: Path | None = None) -> None:
        """`prepared`: a published prepared template to start from; its roles, database, init_sql and
        prepare commands are in it already, so none of them runs again."""
        super().__init__(name=dependency.name, dir=dir, port=port, tracker=tracker)
        self.dependency = dependency
        self.tools = tools
        self.run_as = run_as
        self.cache_dir = cache_dir
        self.spares_dir = spares_dir
        self.template: Path | None = None
        self.prepared = prepared if prepared is not None and is_template(prepared) else None
        self.used_spare = False   # the cluster came from a spare (a rename) rather than a copy
        self.data_dir = dir / "data"
        self._outside_dirs: list[Path] = []

    # --- LocalServer hooks -------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self.prepared is not None:
            template = self.template = self.prepared
            os.utime(template)   # "last used": unused prepared templates are pruned after a while
        else:
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

    def _after_first_ready(self) -> None:
        if self.prepared is not None:
            return
        dep = self.dependency
        with self._admin() as conn:
            if dep.user != "postgres":
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(dep.user), sql.Literal(dep.password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(dep.database), sql.Identifier(dep.user)))
        if dep.init_sql is not None:
            run_sql_file(dep.init_sql, SqlConnection(endpoint=self.direct, user=dep.user, dbname=dep.database),
                         psql=find_psql(self.tools.bin_dir))

    def keep_as_template(self, template: Path) -> bool:
        """Stop the cluster cleanly, publish a copy of it as `template`, start it again (same port).

        Called once the prepare commands ran; later environments of the same inputs start from the
        copy. Returns False if another run published it first (its copy is as good as ours).
        """
        with self._lock:
            self.stop()
            try:
                published = publish_template(self.data_dir, template)
            finally:
                self.start()
            self.template = self.prepared = template   # spares are now made of the prepared cluster
            return published

    def _after_close(self) -> None:
        release_segment_of(self.data_dir)
        for path in self._outside_dirs:
            shutil.rmtree(path, ignore_errors=True)

    # --- PostgresHandle ----------------------------------------------------------------------------

    def dsn(self, *, proxied: bool = True) -> str:
        """postgresql://user:password@127.0.0.1:PORT/db, through the proxy unless `proxied=False`."""
        dep = self.dependency
        return postgres_url(self.proxied if proxied else self.direct, user=dep.user, password=dep.password,
                            database=dep.database)

    def url(self, *, proxied: bool = True) -> str:
        return self.dsn(proxied=proxied)

    def admin_dsn(self) -> str:
        """A superuser DSN straight to the server (not proxied), tagged so it never counts as the SUT."""
        return admin_conninfo(self.direct, user="postgres", dbname="postgres")
