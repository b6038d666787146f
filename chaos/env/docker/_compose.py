"""The Compose CLI, used only to bring a project up and down (everything else goes through the SDK).

Compose v2 (`docker compose`) is preferred; Debian's docker-compose 1.29 (v1) is what these machines
have. Each call is bounded, runs in its own session (a Ctrl-C aimed at pytest must not kill a `down`
half-way) and raises EngineError quoting Compose's own output when it fails.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chaos.errors import EngineError, ToolMissing

__all__ = ["ComposeCli", "find_compose"]

_PROBE_TIMEOUT_S = 15.0
_OUTPUT_TAIL = 3000


def _works(argv: Sequence[str]) -> bool:
    try:
        done = subprocess.run([*argv, "version"], capture_output=True, timeout=_PROBE_TIMEOUT_S,
                              start_new_session=True, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def find_compose() -> tuple[str, ...]:
    """The Compose command to use: `docker compose` (v2) if the plugin answers, else `docker-compose`.

    Looked up once per process (asking costs about a second with v1)."""
    docker = shutil.which("docker")
    if docker and _works([docker, "compose"]):
        return (docker, "compose")
    v1 = shutil.which("docker-compose")
    if v1 and _works([v1]):
        return (v1,)
    raise ToolMissing(tool="docker compose",
                      hint="install the Compose v2 plugin, or `apt-get install docker-compose` (v1), or run "
                           "scripts/docker-engine.sh start, which installs it")


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeCli:
    """One compose project: its name, files and variables; `run()` calls the CLI on it."""

    command: tuple[str, ...]
    project: str
    files: tuple[Path, ...]
    variables: Mapping[str, str]          # CHAOS_* values, on top of the caller's environment

    def argv(self, *args: str) -> list[str]:
        files = [arg for f in self.files for arg in ("-f", str(f))]
        return [*self.command, "-p", self.project, *files, *args]

    def run(self, *args: str, timeout_s: float) -> str:
        """Run `compose <args>` and return its output; EngineError (with the output) if it fails."""
        argv = self.argv(*args)
        # The caller's environment carries DOCKER_HOST and the CHAOS_*_IMAGE overrides; Compose reads
        # them itself, we only add this project's ports.
        env = {**os.environ, **self.variables}
        operation = f"compose {' '.join(args)} (project {self.project})"
        try:
            done = subprocess.run(argv, env=env, cwd=self.files[0].parent, capture_output=True, text=True,
                                  timeout=timeout_s, start_new_session=True, check=False)
        except subprocess.TimeoutExpired as exc:
            output = _text(exc.stdout) + _text(exc.stderr)
            raise EngineError(operation=operation,
                              message=f"no result after {timeout_s:g} s; output so far:\n"
                                      f"{output[-_OUTPUT_TAIL:]}") from None
        except OSError as exc:
            raise EngineError(operation=operation, message=f"cannot run {argv[0]}: {exc}") from exc
        output = (done.stdout or "") + (done.stderr or "")
        if done.returncode != 0:
            raise EngineError(operation=operation,
                              message=f"exit code {done.returncode}:\n{output[-_OUTPUT_TAIL:]}")
        return output


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data
