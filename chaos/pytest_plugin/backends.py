"""Choosing and starting a backend by name; the only place the plugin knows backends exist."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from chaos.env.base import Backend, Environment
from chaos.targetfile import Target

__all__ = ["start_environment"]

# Imported on demand: the docker backend needs the docker SDK and an engine, the local one neither.
_BACKENDS = {
    "local": ("chaos.env.local", "LocalBackend"),
    "docker": ("chaos.env.docker", "DockerBackend"),
    "attach": ("chaos.env.attach", "AttachBackend"),
}


def start_environment(
    name: str, target: Target, *, worker_id: str, sut_env: Mapping[str, str], workdir: Path
) -> Environment:
    module_name, class_name = _BACKENDS[name]
    backend: Backend = getattr(importlib.import_module(module_name), class_name)()
    return backend.start(target, worker_id=worker_id, sut_env=sut_env, workdir=workdir)
