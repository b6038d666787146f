"""Shared fixtures for the local backend's tests: one Postgres per session, a private registry."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.env.pgtemplate import ensure_template
from chaos.env.ports import free_port
from chaos.env.postgres import LocalPostgres
from chaos.env.registry import UNTRACKED, Registry
from chaos.env.tools import PostgresTools, find_postgres, postgres_run_as
from chaos.targetfile import Dependency, DependencyKind


@pytest.fixture(scope="session")
def pg_tools() -> PostgresTools:
    return find_postgres()


@pytest.fixture(scope="session")
def pg_template(pg_tools: PostgresTools) -> Path:
    """The cached template (created on first use; the default cache dir, shared with real runs)."""
    return ensure_template(pg_tools, postgres_run_as())


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="chaos-test-env-"))
    if os.geteuid() == 0:
        os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def shared_postgres(pg_tools: PostgresTools, pg_template: Path, session_dir: Path) -> Iterator[LocalPostgres]:
    """One Postgres for the session. Tests may stop, kill or pause it, but must leave it running."""
    dep = Dependency(name="pg", kind=DependencyKind.POSTGRES, database="shop", user="shopper", password="p w")
    pg = LocalPostgres(dependency=dep, dir=session_dir / "pg", port=free_port(), tracker=UNTRACKED,
                       tools=pg_tools, run_as=postgres_run_as())
    pg.attach_proxy("none", pg.direct)   # no proxy in these tests: "proxied" is the server itself
    pg.start()
    yield pg
    pg.close()


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry of our own, so tests never see (or reap) environments of other runs."""
    return Registry(tmp_path / "registry")
