"""init_sql as users have it: real pg_dump output loads through psql; a failure names file, line, statement."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from chaos.env.postgres import LocalPostgres
from chaos.env.psql import SqlConnection, find_psql, run_sql_file
from chaos.env.tools import PostgresTools
from chaos.errors import SqlFileFailed


@pytest.fixture
def database(shared_postgres: LocalPostgres) -> Iterator[str]:
    """A fresh database owned by the shared cluster's role, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(shared_postgres.admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(shared_postgres.dependency.user)))
    yield name
    with psycopg.connect(shared_postgres.admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def target_of(pg: LocalPostgres, dbname: str) -> SqlConnection:
    dep = pg.dependency
    return SqlConnection(endpoint=pg.direct, user=dep.user, password=dep.password, dbname=dbname)


def psql_of(tools: PostgresTools) -> Path:
    psql = find_psql(tools.bin_dir)
    assert psql is not None, "psql comes with the server packages"
    return psql


def test_plain_pg_dump_output_loads(shared_postgres: LocalPostgres, pg_tools: PostgresTools, database: str,
                                    tmp_path: Path) -> None:
    """A real `pg_dump` of a database (COPY ... FROM stdin with tabs, newlines, backslashes and NULLs in
    the data, a sequence, an index, a view) loads into another database."""
    source = f"{database}_src"
    admin = shared_postgres.admin_dsn()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(source)))
    try:
        with psycopg.connect(admin.replace("dbname=postgres", f"dbname={source}"), autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id serial PRIMARY KEY, name text, note text)")
            conn.execute("CREATE INDEX items_name ON items (name)")
            conn.execute("CREATE VIEW named AS SELECT id, name FROM items WHERE name IS NOT NULL")
            conn.execute("INSERT INTO items (name, note) VALUES ('tab\there', 'back\\slash'), "
                         "('new\nline', NULL), (NULL, 'plain')")
        dump = tmp_path / "dump.sql"
        subprocess.run([str(pg_tools.bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", str(shared_postgres.direct.port),
                        "-U", "postgres", "--no-owner", "--no-privileges", "-f", str(dump), source],
                       check=True, timeout=60, capture_output=True)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(source)))
    text = dump.read_text()
    assert "FROM stdin;" in text, "the dump should hold psql-only COPY data"
    assert "\n\\.\n" in text

    run_sql_file(dump, target_of(shared_postgres, database), psql=psql_of(pg_tools))

    with psycopg.connect(shared_postgres.dsn(proxied=False).rsplit("/", 1)[0] + f"/{database}") as conn:
        rows = conn.execute("SELECT id, name, note FROM public.items ORDER BY id").fetchall()
        assert rows == [(1, "tab\there", "back\\slash"), (2, "new\nline", None), (3, None, "plain")]
        assert conn.execute("SELECT count(*) FROM public.named").fetchone() == (2,)
        assert conn.execute("SELECT nextval('public.items_id_seq')").fetchone() == (4,)


def failure(pg: LocalPostgres, tools: PostgresTools, database: str, script: Path) -> SqlFileFailed:
    with pytest.raises(SqlFileFailed) as info:
        run_sql_file(script, target_of(pg, database), psql=psql_of(tools))
    return info.value


def test_an_error_names_the_file_the_line_where_the_statement_starts_and_the_statement(
        shared_postgres: LocalPostgres, pg_tools: PostgresTools, database: str, tmp_path: Path) -> None:
    script = tmp_path / "schema.sql"
    script.write_text("CREATE TABLE t (id int);\n\nINSERT INTO t\n  VALUES (1),\n  (2, 3);\n"
                      "CREATE TABLE never (x int);\n")
    err = failure(shared_postgres, pg_tools, database, script)
    assert (err.file, err.line) == (str(script), 3)
    assert err.statement == "INSERT INTO t VALUES (1), (2, 3);"
    assert "VALUES lists must all be the same length" in err.error
    assert str(err).startswith(f"{script}:3: ERROR:")
    with psycopg.connect(shared_postgres.dsn(proxied=False).rsplit("/", 1)[0] + f"/{database}") as conn:
        # ON_ERROR_STOP: nothing after the error ran
        assert conn.execute("SELECT to_regclass('public.never')").fetchone() == (None,)


def test_an_error_in_copy_data_names_the_data_line(shared_postgres: LocalPostgres, pg_tools: PostgresTools,
                                                   database: str, tmp_path: Path) -> None:
    script = tmp_path / "data.sql"
    script.write_text("CREATE TABLE t (id int, name text);\nCOPY t (id, name) FROM stdin;\n1\tone\nx\ttwo\n\\.\n")
    err = failure(shared_postgres, pg_tools, database, script)
    assert err.line == 4
    assert err.statement == "COPY t (id, name) FROM stdin;"
    assert 'invalid input syntax for type integer: "x"' in err.error
    assert "COPY data, row 2" in err.error


def test_an_unknown_meta_command_names_its_line(shared_postgres: LocalPostgres, pg_tools: PostgresTools,
                                                database: str, tmp_path: Path) -> None:
    script = tmp_path / "meta.sql"
    script.write_text("SELECT 1;\n\\frobnicate now\n")
    err = failure(shared_postgres, pg_tools, database, script)
    assert err.line == 2
    assert err.statement == "\\frobnicate now"
    assert "invalid command \\frobnicate" in err.error


def test_without_psql_plain_sql_runs_and_psql_syntax_is_refused_clearly(
        shared_postgres: LocalPostgres, database: str, tmp_path: Path) -> None:
    plain = tmp_path / "plain.sql"
    plain.write_text("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n")
    run_sql_file(plain, target_of(shared_postgres, database), psql=None)
    dump = tmp_path / "dump.sql"
    dump.write_text("COPY t (id) FROM stdin;\n2\n\\.\n")
    with pytest.raises(SqlFileFailed, match=r"dump.sql: this file uses psql meta-commands or COPY \.\.\. FROM "
                                            r"stdin, which need psql: install the PostgreSQL client"):
        run_sql_file(dump, target_of(shared_postgres, database), psql=None)
