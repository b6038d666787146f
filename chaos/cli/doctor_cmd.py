"""`chaos doctor`: what is installed, what is missing, and how to get it."""

from __future__ import annotations

import argparse
import enum
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError

__all__ = ["Check", "Status", "register", "run_checks"]

PIP_HINT = "pip install -e '.[dev]' in the checkout (or run scripts/bootstrap.sh)"
PACKAGES = ("httpx", "psycopg", "psycopg-pool", "redis", "starlette", "uvicorn", "aiohttp", "docker",
            "pytest", "pytest-xdist", "pytest-timeout", "jsonschema")
OPTIONAL_PACKAGES = {"docker", "pytest-timeout"}


class Status(enum.StrEnum):
    OK = "ok"
    MISSING = "MISSING"     # the local backend cannot work without it: exit code 1
    WARN = "warn"           # optional (docker backend, a configured Toxiproxy that does not answer)
    INFO = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    status: Status
    what: str
    detail: str


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check what the suite needs and say how to get what is missing",
        description="Check Python, packages, Postgres, Redis, Docker and TOXIPROXY_URL. Exit code 1 "
                    "when something the local backend needs is missing. With --target, also whether the "
                    "target's prepared database template is fresh.")
    parser.add_argument("--target", type=Path, default=None, metavar="FILE",
                        help="also check this target file and its [service.prepare] template")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checks = run_checks(os.environ.get("TOXIPROXY_URL") or None, target=args.target)
    width = max(len(c.what) for c in checks)
    for check in checks:
        print(f"{check.status.value:<7}  {check.what:<{width}}  {check.detail}")
    missing = [c for c in checks if c.status is Status.MISSING]
    if missing:
        print(f"\n{len(missing)} missing for the local backend: " + ", ".join(c.what for c in missing))
        return 1
    print("\neverything the local backend needs is here")
    return 0


def run_checks(toxiproxy_url: str | None, *, target: Path | None = None, cache_dir: Path | None = None
               ) -> list[Check]:
    """Every check, in the order printed; none raises (a crash in one is reported as its result)."""
    steps: list[Callable[[], list[Check]]] = [
        _python, _packages, _postgres, _redis, lambda: _toxiproxy(toxiproxy_url), _docker]
    if target is not None:
        steps.append(lambda: _target(target, cache_dir))
    checks: list[Check] = []
    for step in steps:
        try:
            checks.extend(step())
        except Exception as exc:
            checks.append(Check(status=Status.WARN, what=getattr(step, "__name__", "check").strip("_"),
                                detail=f"the check itself failed: {type(exc).__name__}: {exc}"))
    return checks


def _python() -> list[Check]:
    # the package itself requires 3.11 (pyproject), so reaching this line means it is new enough
    version = ".".join(map(str, sys.version_info[:3]))
    return [Check(status=Status.OK, what="python", detail=f"{version} ({sys.executable})")]


def _packages() -> list[Check]:
    checks = []
    for name in PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            status = Status.WARN if name in OPTIONAL_PACKAGES else Status.MISSING
            checks.append(Check(status=status, what=f"package {name}", detail=f"not installed: {PIP_HINT}"))
        else:
            checks.append(Check(status=Status.OK, what=f"package {name}", detail=version))
    return checks


def _postgres() -> list[Check]:
    from chaos.env.pgtemplate import TEMPLATE_VERSION, default_cache_dir
    from chaos.env.tools import find_postgres, postgres_run_as

    try:
        tools = find_postgres()
    except ChaosError as exc:
        return [Check(status=Status.MISSING, what="postgres", detail=str(exc))]
    checks = [Check(status=Status.OK, what="postgres", detail=f"{tools.major} in {tools.bin_dir}")]
    try:
        run_as = postgres_run_as()
    except ChaosError as exc:
        checks.append(Check(status=Status.MISSING, what="postgres user", detail=str(exc)))
    else:
        who = f"runs as '{run_as.user}' (we are root)" if run_as else "runs as the current user"
        checks.append(Check(status=Status.OK, what="postgres user", detail=who))
    template = default_cache_dir() / f"pg{tools.major}-template-v{TEMPLATE_VERSION}"
    if (template / "PG_VERSION").is_file():
        checks.append(Check(status=Status.OK, what="postgres template", detail=str(template)))
    else:
        checks.append(Check(status=Status.INFO, what="postgres template",
                            detail=f"not cached yet: created by initdb on first use (~1 s) in {template}"))
    return checks


def _target(path: Path, cache_dir: Path | None) -> list[Check]:
    from chaos.env.pgtemplate import default_cache_dir
    from chaos.env.prepare import template_status
    from chaos.env.tools import find_postgres
    from chaos.targetfile import load_target

    try:
        target = load_target(path)
    except ChaosError as exc:
        return [Check(status=Status.MISSING, what="target file", detail=str(exc))]
    checks = [Check(status=Status.OK, what="target file", detail=f"{path}: valid")]
    if target.service.prepare is None:
        return checks
    try:
        status = template_status(target, cache=cache_dir or default_cache_dir(), major=find_postgres().major)
    except ChaosError as exc:
        return [*checks, Check(status=Status.WARN, what="prepared template", detail=str(exc))]
    if status is None:
        detail = "no Postgres dependency: the prepare commands run at every start"
        return [*checks, Check(status=Status.INFO, what="prepared template", detail=detail)]
    return [*checks, Check(status=Status.OK if status.is_fresh() else Status.INFO, what="prepared template",
                           detail=status.describe())]


def _redis() -> list[Check]:
    from chaos.env.tools import find_redis_server

    try:
        path = find_redis_server()
    except ChaosError as exc:
        return [Check(status=Status.MISSING, what="redis-server", detail=str(exc))]
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10, check=False)
    version = next((w.removeprefix("v=") for w in out.stdout.split() if w.startswith("v=")), "?")
    return [Check(status=Status.OK, what="redis-server", detail=f"{version} ({path})")]


def _toxiproxy(url: str | None) -> list[Check]:
    if url is None:
        return [Check(status=Status.INFO, what="TOXIPROXY_URL",
                      detail="not set: each environment runs the embedded proxy (`chaos proxy`)")]
    from chaos.proxy.client import ToxiproxyClient

    try:
        with ToxiproxyClient(url, timeout_s=2.0) as client:
            version = client.version()
    except ChaosError as exc:
        return [Check(status=Status.WARN, what="TOXIPROXY_URL",
                      detail=f"{url} does not answer ({exc}): start Toxiproxy there or unset the variable")]
    return [Check(status=Status.OK, what="TOXIPROXY_URL", detail=f"{url} (Toxiproxy {version})")]


def _docker() -> list[Check]:
    try:
        import docker
    except ImportError:
        return [Check(status=Status.WARN, what="docker engine",
                      detail=f"docker SDK not installed: {PIP_HINT}")]
    try:
        client = docker.from_env(timeout=3)
        try:
            version = client.version().get("Version", "?")
        finally:
            client.close()
    except Exception as exc:
        return [Check(status=Status.WARN, what="docker engine",
                      detail=f"not reachable ({type(exc).__name__}); only needed for --chaos-backend docker: "
                             "run `scripts/docker-engine.sh start` and `eval \"$(scripts/docker-engine.sh env)\"`, "
                             "or point DOCKER_HOST at an engine")]
    return [Check(status=Status.OK, what="docker engine", detail=f"reachable, version {version}")]
