"""Where the local backend finds the programs it runs, and how to get them when they are missing."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from chaos.env.process import RunAs
from chaos.errors import ToolMissing

__all__ = [
    "POSTGRES_HINT",
    "REDIS_HINT",
    "PostgresTools",
    "find_postgres",
    "find_redis_server",
    "postgres_run_as",
]

POSTGRES_HINT = ("install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; "
                 "the suite looks in /usr/lib/postgresql/*/bin and on PATH)")
REDIS_HINT = "install Redis (Debian/Ubuntu: apt-get install redis-server; needs redis-server on PATH)"
_PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True, slots=True, kw_only=True)
class PostgresTools:
    """The Postgres server binaries of one major version."""

    bin_dir: Path
    major: int

    @property
    def initdb(self) -> Path:
        return self.bin_dir / "initdb"

    @property
    def postgres(self) -> Path:
        return self.bin_dir / "postgres"


def _major(postgres: Path) -> int:
    out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, timeout=10, check=True)
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if not match:
        raise ToolMissing(tool="postgres", hint=f"cannot read the version of {postgres}: {out.stdout!r}")
    return int(match.group(1))


def find_postgres() -> PostgresTools:
    """The newest Postgres found (distribution layout first, then PATH); ToolMissing says how to get it."""
    candidates: list[Path] = []
    if _PG_ROOT.is_dir():
        versions = sorted((p for p in _PG_ROOT.iterdir() if p.name.isdigit()), key=lambda p: int(p.name),
                          reverse=True)
        candidates.extend(v / "bin" for v in versions)
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bin_dir in candidates:
        if (bin_dir / "postgres").is_file() and (bin_dir / "initdb").is_file():
            return PostgresTools(bin_dir=bin_dir, major=_major(bin_dir / "postgres"))
    raise ToolMissing(tool="postgres/initdb", hint=POSTGRES_HINT)


def find_redis_server() -> Path:
    found = shutil.which("redis-server")
    if not found:
        raise ToolMissing(tool="redis-server", hint=REDIS_HINT)
    return Path(found)


def postgres_run_as() -> RunAs | None:
    """Who runs initdb and postgres: the `postgres` account when we are root (Postgres refuses root),
    else None (the current user)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise ToolMissing(tool="the 'postgres' user",
                          hint="running as root, Postgres must run as an unprivileged user: create it with "
                               "`useradd --system postgres` (the postgresql package does this)") from None
    return RunAs(user="postgres", uid=entry.pw_uid, gid=entry.pw_gid)
