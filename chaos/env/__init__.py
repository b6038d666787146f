"""Where the SUT and its dependencies run: the environment protocols and the local backend.

The protocols (`chaos.env.base`) import nothing heavy, and faults and experiments import them
everywhere; the local backend pulls in psycopg, redis and httpx, so its names are loaded on first
use (PEP 562) instead of with the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chaos.env.base import Backend as Backend
from chaos.env.base import DependencyHandle as DependencyHandle
from chaos.env.base import Endpoint as Endpoint
from chaos.env.base import Environment as Environment
from chaos.env.base import HttpUpstreamHandle as HttpUpstreamHandle
from chaos.env.base import PostgresHandle as PostgresHandle
from chaos.env.base import ProcessHandle as ProcessHandle
from chaos.env.base import RedisHandle as RedisHandle
from chaos.env.base import SutHandle as SutHandle

if TYPE_CHECKING:
    from chaos.env.extra import LocalProcess as LocalProcess
    from chaos.env.local import LocalBackend as LocalBackend
    from chaos.env.local import LocalEnvironment as LocalEnvironment
    from chaos.env.postgres import LocalPostgres as LocalPostgres
    from chaos.env.redis import LocalRedis as LocalRedis
    from chaos.env.registry import Registry as Registry
    from chaos.env.signals import SigtermAsInterrupt as SigtermAsInterrupt
    from chaos.env.sut import LocalSut as LocalSut
    from chaos.env.upstream import LocalUpstream as LocalUpstream

__all__ = [
    "Backend",
    "DependencyHandle",
    "Endpoint",
    "Environment",
    "HttpUpstreamHandle",
    "LocalBackend",
    "LocalEnvironment",
    "LocalPostgres",
    "LocalProcess",
    "LocalRedis",
    "LocalSut",
    "LocalUpstream",
    "PostgresHandle",
    "ProcessHandle",
    "RedisHandle",
    "Registry",
    "SigtermAsInterrupt",
    "SutHandle",
]

_LAZY = {
    "LocalBackend": "chaos.env.local",
    "LocalEnvironment": "chaos.env.local",
    "LocalPostgres": "chaos.env.postgres",
    "LocalProcess": "chaos.env.extra",
    "LocalRedis": "chaos.env.redis",
    "LocalSut": "chaos.env.sut",
    "LocalUpstream": "chaos.env.upstream",
    "Registry": "chaos.env.registry",
    "SigtermAsInterrupt": "chaos.env.signals",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chaos.env' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
