"""The URLs clients use for a dependency at an endpoint, the same for both backends.

The SUT gets these through `{<dep>.url}` and experiments through `handle.url()`: one set of shapes,
so a target file works unchanged on either backend.
"""

from __future__ import annotations

from urllib.parse import quote

from chaos.env.base import Endpoint
from chaos.targetfile import Dependency, DependencyKind

__all__ = ["dependency_url", "http_url", "postgres_url", "redis_url"]


def postgres_url(endpoint: Endpoint, *, user: str, password: str, database: str) -> str:
    """postgresql://user:password@host:port/database, each part percent-encoded."""
    return (f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{endpoint.host}:{endpoint.port}/{quote(database, safe='')}")


def redis_url(endpoint: Endpoint) -> str:
    """redis://host:port/0 (database 0: the suite's Redis holds nothing else)."""
    return f"redis://{endpoint.host}:{endpoint.port}/0"


def http_url(endpoint: Endpoint) -> str:
    return f"http://{endpoint.host}:{endpoint.port}"


def dependency_url(dependency: Dependency, endpoint: Endpoint) -> str:
    """The URL of `dependency` at `endpoint`, by its kind (Postgres with the target's role and database)."""
    if dependency.kind is DependencyKind.POSTGRES:
        return postgres_url(endpoint, user=dependency.user, password=dependency.password,
                            database=dependency.database)
    if dependency.kind is DependencyKind.REDIS:
        return redis_url(endpoint)
    return http_url(endpoint)
