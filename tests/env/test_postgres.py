"""LocalPostgres: template copy start time, and every lifecycle operation really taking effect."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from support.envs import listening

from chaos.env.pgtemplate import clone_cluster
from chaos.env.ports import free_port
from chaos.env.postgres import LocalPostgres
from chaos.env.process import descendants, group_members, process_start_ticks, process_state
from chaos.env.registry import UNTRACKED
from chaos.env.tools import PostgresTools, postgres_run_as
from chaos.targetfile import Dependency, DependencyKind


def connect(pg: LocalPostgres, timeout_s: int = 2) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(pg.dsn(proxied=False), autocommit=True, connect_timeout=timeout_s)


def test_fresh_cluster_from_template_serves_its_schema(pg_tools: PostgresTools, pg_template: Path,
                                                      tmp_path: Path) -> None:
    """A cluster copied from the template comes up with the target's role, database and init_sql.
    How fast is measured by bench/env_startup.py, not asserted here."""
    (tmp_path / "pg").mkdir()
    tmp_path.chmod(0o711)
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE items (id int primary key);\nINSERT INTO items VALUES (1), (2);\n")
    dep = Dependency(name="db", kind=DependencyKind.POSTGRES, init_sql=schema)
    pg = LocalPostgres(dependency=dep, dir=tmp_path / "pg", port=free_port(), tracker=UNTRACKED,
                       tools=pg_tools, run_as=postgres_run_as())
    pg.attach_proxy("none", pg.direct)
    try:
        pg.start()
        with connect(pg) as conn:
            assert conn.execute("SELECT current_user, count(*) FROM items").fetchone() == ("app", 2)
        assert (pg.data_dir / "PG_VERSION").is_file()
        assert not list(pg.data_dir.glob(".s.PGSQL*")), "no unix socket expected"
    finally:
        pg.close()
    assert not listening(pg.direct.port)


def test_template_copy_is_independent(pg_template: Path, tmp_path: Path) -> None:
    clone_cluster(pg_template, tmp_path / "a")
    (tmp_path / "a" / "marker").write_text("x")
    assert not (pg_template / "marker").exists()
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700


def test_dsn_quotes_user_and_password(shared_postgres: LocalPostgres) -> None:
    assert shared_postgres.dsn(proxied=False).startswith("postgresql://shopper:p%20w@127.0.0.1:")
    with connect(shared_postgres) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("shopper", "shop")


def test_kill_then_start(shared_postgres: LocalPostgres) -> None:
    pg = shared_postgres
    old_pid = pg.pid()
    client = connect(pg)   # a backend that outlives the postmaster for a moment
    pg.kill()
    assert pg.pid() is None
    assert not pg.is_running()
    with pytest.raises(psycopg.OperationalError):
        connect(pg, timeout_s=1).close()
    pg.start()    # must cope with the old backend still attached to shared memory
    assert pg.pid() not in (None, old_pid)
    with connect(pg) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    client.close()


def test_stop_then_start(shared_postgres: LocalPostgres) -> None:
    pg = shared_postgres
    pg.stop()
    assert not pg.is_running()
    assert not listening(pg.direct.port)
    with pytest.raises(psycopg.OperationalError):
        connect(pg, timeout_s=1).close()
    pg.start()
    assert pg.is_running()


def test_restart_is_fast_and_drops_sessions(shared_postgres: LocalPostgres) -> None:
    pg = shared_postgres
    client = connect(pg)
    before = pg.pid()
    started = time.monotonic()
    pg.restart()
    # fast shutdown + start measured ~0.15 s idle; 3 s tolerance for a loaded machine
    assert time.monotonic() - started < 3.0
    assert pg.pid() != before
    with pytest.raises(psycopg.OperationalError):
        client.execute("SELECT 1")
    client.close()
    with connect(pg) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pause_makes_queries_hang_until_resume(shared_postgres: LocalPostgres) -> None:
    pg = shared_postgres
    client = connect(pg)
    done = threading.Event()

    def query() -> None:
        client.execute("SELECT 1")
        done.set()

    pg.pause()
    try:
        worker = threading.Thread(target=query)
        worker.start()
        # nothing can answer a frozen server: 0.5 s of silence is proof enough
        assert not done.wait(0.5)
    finally:
        pg.resume()
    # once thawed the query completes promptly (bound is generous for a loaded machine)
    assert done.wait(10)
    worker.join(5)
    client.close()


def test_terminate_client_backends_spares_our_admin_connections(shared_postgres: LocalPostgres) -> None:
    pg = shared_postgres
    a, b = connect(pg), connect(pg)
    pids = {a.info.backend_pid, b.info.backend_pid}
    assert set(pg.client_backend_pids()) >= pids
    hit = pg.terminate_client_backends()
    assert set(hit) >= pids
    for conn in (a, b):
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
        conn.close()
    assert not set(pg.client_backend_pids()) & pids


def test_close_leaves_no_process(pg_tools: PostgresTools, pg_template: Path, tmp_path: Path) -> None:
    tmp_path.chmod(0o711)
    pg = LocalPostgres(dependency=Dependency(name="db", kind=DependencyKind.POSTGRES), dir=tmp_path / "pg",
                       port=free_port(), tracker=UNTRACKED, tools=pg_tools, run_as=postgres_run_as())
    pg.start()
    pgid = pg.pid()
    assert pgid is not None
    client = psycopg.connect(pg.dsn(proxied=False), connect_timeout=2)
    tree = [pid for pid, _ in descendants(pgid)]   # backends and auxiliaries: they call setsid()
    assert client.info.backend_pid in tree
    pg.pause()
    pg.kill()          # the hardest case: a frozen tree, a killed postmaster, orphaned backends
    pg.close()
    pg.close()
    assert group_members(pgid) == []
    assert [pid for pid in tree if process_start_ticks(pid) is not None and process_state(pid) != "Z"] == []
    assert not listening(pg.direct.port)
    client.close()
