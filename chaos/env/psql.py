"""Running a target's SQL file as users have it: through `psql`, meta-commands and `COPY ... FROM stdin` included.

Plain `pg_dump` output is psql input, not SQL: `\\connect`, `\\restrict`, and COPY data blocks ended
by `\\.` only mean something to psql. So the file goes through psql with ON_ERROR_STOP, which stops
at the first error; its report (`psql:FILE:LINE: ERROR: ...` plus the failed statement, echoed by
`-b`) becomes one `SqlFileFailed` naming the file, the line where the statement starts (for an
error in COPY data, the data line) and the statement. Without psql (a docker-only machine), plain
SQL still runs over psycopg, and a file that needs psql says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from chaos.env.base import Endpoint
from chaos.env.postgres_admin import ADMIN_APPLICATION_NAME
from chaos.errors import SqlFileFailed

__all__ = ["SqlConnection", "find_psql", "run_sql_file"]

SQL_FILE_TIMEOUT_S = 600.0   # a large dump loads in minutes; a wedged server must still end the run
_REPORT = re.compile(r"^psql:(?P<file>.+?):(?P<line>\d+): (?P<kind>ERROR|FATAL|PANIC|error|STATEMENT):\s+(?P<text>.*)$")
_COPY_LINE = re.compile(r"^CONTEXT:\s+COPY \S+, line (\d+)")
_NEEDS_PSQL = re.compile(r"^\\|FROM\s+stdin\s*;", re.IGNORECASE | re.MULTILINE)
_SHOWN_STATEMENT = 240


@dataclass(frozen=True, slots=True, kw_only=True)
class SqlConnection:
    """Where to run the file: straight to the server (never through a proxy), as this role."""

    endpoint: Endpoint
    user: str
    dbname: str
    password: str | None = None


def find_psql(bin_dir: Path | None = None) -> Path | None:
    """psql next to the server binaries, else on PATH, else in the distribution's layout; None if absent."""
    if bin_dir is not None and (bin_dir / "psql").is_file():
        return bin_dir / "psql"
    on_path = shutil.which("psql")
    if on_path:
        return Path(on_path)
    root = Path("/usr/lib/postgresql")
    found = sorted(root.glob("*/bin/psql"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1] if found else None


def run_sql_file(script: Path, conn: SqlConnection, *, psql: Path | None,
                 timeout_s: float = SQL_FILE_TIMEOUT_S) -> None:
    """Run `script` on the database; SqlFileFailed names the file, line and statement of the first error."""
    if psql is None:
        _run_without_psql(script, conn)
        return
    argv = [str(psql), "-X", "-q", "-b", "-v", "ON_ERROR_STOP=1", "-h", conn.endpoint.host,
            "-p", str(conn.endpoint.port), "-U", conn.user, "-d", conn.dbname, "-f", str(script)]
    env = {**os.environ, "PGAPPNAME": ADMIN_APPLICATION_NAME, "PGCONNECT_TIMEOUT": "5"}
    env.pop("PGPASSWORD", None)
    if conn.password is not None:
        env["PGPASSWORD"] = conn.password   # never on the command line, where ps would show it
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=env, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise SqlFileFailed(file=str(script), line=None, statement="",
                            error=f"psql did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        raise parse_failure(script, done.stderr.decode("utf-8", errors="replace"), done.returncode)


def parse_failure(script: Path, stderr: str, returncode: int) -> SqlFileFailed:
    """The SqlFileFailed for psql's report of a failed run (exposed for tests)."""
    error = ""
    line: int | None = None
    statement: list[str] = []
    copy_line: int | None = None
    for raw in stderr.splitlines():
        match = _REPORT.match(raw)
        if match and match.group("kind") == "STATEMENT":
            statement = [match.group("text")]
            continue
        if statement:
            statement.append(raw)       # a statement spanning several lines
            continue
        if match and not error:
            error, line = f"{match.group('kind')}: {match.group('text')}", int(match.group("line"))
            continue
        copy = _COPY_LINE.match(raw)
        if copy and error:
            copy_line = int(copy.group(1))
        elif error and raw.startswith(("DETAIL:", "HINT:", "CONTEXT:")):
            error += f" ({raw.strip()})"
    if not error:
        lines = [raw for raw in stderr.splitlines() if raw.strip() and not raw.startswith("NOTICE:")]
        error = lines[-1] if lines else f"psql exited with code {returncode}"
        error = error.removeprefix("psql: ")
    text = "\n".join(statement).strip()
    if line is not None:
        if not text:   # a meta-command error: the line itself is the statement
            text = _file_line(script, line)
        start = _statement_start(script, line, text)
        line = start + copy_line if copy_line is not None and start is not None else (start or line)
        if copy_line is not None:
            error += f" (in the COPY data, row {copy_line})"
    shown = " ".join(text.split())
    if len(shown) > _SHOWN_STATEMENT:
        shown = shown[:_SHOWN_STATEMENT - 3] + "..."
    return SqlFileFailed(file=str(script), line=line, statement=shown, error=error)


def _lines(script: Path) -> list[str]:
    try:
        return script.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _file_line(script: Path, line: int) -> str:
    lines = _lines(script)
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _statement_start(script: Path, reported: int, statement: str) -> int | None:
    """The line where `statement` begins: psql reports the line it ended on (or its COPY data end)."""
    first = statement.splitlines()[0].strip() if statement else ""
    if not first:
        return None
    lines = _lines(script)
    for number in range(min(reported, len(lines)), 0, -1):
        if lines[number - 1].strip().startswith(first):
            return number
    return None


def _run_without_psql(script: Path, conn: SqlConnection) -> None:
    text = script.read_text()
    if _NEEDS_PSQL.search(text):
        raise SqlFileFailed(file=str(script), line=None, statement="",
                            error="this file uses psql meta-commands or COPY ... FROM stdin, which need psql: "
                                  "install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client)")
    dsn = psycopg.conninfo.make_conninfo(host=conn.endpoint.host, port=conn.endpoint.port, user=conn.user,
                                         password=conn.password, dbname=conn.dbname,
                                         application_name=ADMIN_APPLICATION_NAME, connect_timeout=5)
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(text.encode())   # no parameters: simple protocol, several statements
    except psycopg.Error as exc:
        raise SqlFileFailed(file=str(script), line=None, statement="",
                            error=f"{type(exc).__name__}: {str(exc).strip()} (install psql to see the line)") from None
