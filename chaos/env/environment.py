"""What both backends' environments share: look-ups, the URLs `chaos up` prints, start and close.

`LocalEnvironment` (processes of ours) and `DockerEnvironment` (a compose project) differ in how
they start and release things. Around that they behave the same: a start that fails (Ctrl-C
included) closes whatever was started before the error propagates; `close()` is idempotent, runs
every release step even if an earlier one fails, removes the work dir and raises the failures
together. That part lives here, once.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Generic, Self, TypeVar

from chaos.env.base import DependencyHandle, HttpUpstreamHandle, ProcessHandle, SutHandle
from chaos.env.command_log import CommandLog
from chaos.env.service import ServiceHandle
from chaos.errors import ChaosError
from chaos.proxy.client import ToxiproxyClient
from chaos.targetfile import DependencyKind, Target
from chaos.upstream.stubs import Stub

__all__ = ["EnvironmentBase", "make_workdir", "refuse_attached"]

PostgresT = TypeVar("PostgresT", bound=DependencyHandle)
RedisT = TypeVar("RedisT", bound=DependencyHandle)
UpstreamT = TypeVar("UpstreamT", bound=DependencyHandle)
SutT = TypeVar("SutT", bound=ServiceHandle)
_H = TypeVar("_H", bound=DependencyHandle)


def refuse_attached(target: Target, *, backend: str) -> None:
    """A target with [attach] describes a deployment that runs already: there is nothing to start."""
    if target.attach is not None:
        raise ChaosError(f"{target.path}: attaches to a running deployment ([attach]); the {backend} backend would "
                         "start the service itself and this target says nothing about how (run it with pytest, "
                         "which attaches, or use a target without [attach])")


def make_workdir(workdir: Path | None, *, prefix: str) -> Path:
    """`workdir` (created if missing), or a new temp dir; the environment removes it when closed."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


class EnvironmentBase(Generic[PostgresT, RedisT, UpstreamT, SutT]):
    """Base of the backends' environments (which implement `chaos.env.base.Environment`).

    Type parameters are the backend's handle classes: the dependency ones are named in
    `postgres_type`, `redis_type` and `upstream_type`, so `env.postgres()` returns the backend's own
    handle with its extras. `proxy`, `proxy_url` and `sut` are set once start-up got that far (a
    backend's `start` only returns fully started environments). `sut` is typed as the protocol
    because the protocol's attributes are settable, which mypy checks invariantly (a narrower type
    would not conform); the backend reaches its own SUT handle through `_require_sut()`.
    """

    backend: str
    postgres_type: type[PostgresT]
    redis_type: type[RedisT]
    upstream_type: type[UpstreamT]
    proxy: ToxiproxyClient
    proxy_url: str
    sut: SutHandle

    def __init__(self, *, target: Target, env_id: str, workdir: Path) -> None:
        self.target = target
        self.env_id = env_id
        self.workdir = workdir
        self._handles: dict[str, DependencyHandle] = {}
        self.dependencies: Mapping[str, DependencyHandle] = self._handles
        self._processes: dict[str, ProcessHandle] = {}
        self.processes: Mapping[str, ProcessHandle] = self._processes
        self.reaped: list[str] = []                  # what was reaped before this start (stale owners)
        self.startup_times: dict[str, float] = {}   # seconds per step, for bench/
        self.command_log = CommandLog()   # commands run on a deployment (attach mode; empty otherwise)
        self._sut: SutT | None = None
        self._closers: list[tuple[str, Callable[[], None]]] = []
        self._closed = False

    # --- Environment -------------------------------------------------------------------------------

    def dependency(self, name: str) -> DependencyHandle:
        try:
            return self.dependencies[name]
        except KeyError:
            raise KeyError(f"no dependency {name!r} in {self.target.path} "
                           f"(declared: {', '.join(self.dependencies) or 'none'})") from None

    def process(self, name: str) -> ProcessHandle:
        """The extra process `name` ([service.processes.NAME]); KeyError lists the declared ones."""
        try:
            return self.processes[name]
        except KeyError:
            raise KeyError(f"no process {name!r} in {self.target.path} "
                           f"(declared under [service.processes]: {', '.join(self.processes) or 'none'})") from None

    def postgres(self, name: str | None = None) -> PostgresT:
        """The Postgres dependency called `name`, or the only one."""
        return self._one(self.postgres_type, DependencyKind.POSTGRES, name)

    def redis(self, name: str | None = None) -> RedisT:
        return self._one(self.redis_type, DependencyKind.REDIS, name)

    def upstream(self, name: str | None = None) -> UpstreamT:
        return self._one(self.upstream_type, DependencyKind.HTTP, name)

    def urls(self) -> dict[str, str]:
        """What `chaos up` prints and its ready file holds: the SUT, the proxy API, each dependency
        proxied (what the SUT uses) and direct. Keys are plain identifiers (`proxy_api`,
        `postgres_proxied`, `postgres_direct`), so `jq .urls.proxy_api` works without quoting."""
        urls = {"sut": self.sut.base_url, "proxy_api": self.proxy_url}
        for name, handle in self.dependencies.items():
            urls[f"{name}_proxied"] = handle.url(proxied=True)
            urls[f"{name}_direct"] = handle.url(proxied=False)
        return urls

    def close(self) -> None:
        """Run the release steps in reverse start order, remove the work dir.

        Idempotent, and safe to call again after an interrupted close (every step is idempotent and
        the environment only counts as closed once all steps ran). Every step runs even if an
        earlier one fails; failures are raised together at the end.
        """
        if self._closed:
            return
        errors = self._release()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.workdir.exists():
            errors.append(f"work dir {self.workdir} could not be removed")
        self._closed = True
        if errors:
            raise self._close_failed(errors)
        self._closed_cleanly()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- for backends ------------------------------------------------------------------------------

    def start_or_close(self, start: Callable[[], None]) -> None:
        """Run `start`; if it fails (Ctrl-C included), close what it started, then let the error go on."""
        try:
            start()
        except BaseException as exc:
            try:
                self.close()
            except Exception as close_exc:
                exc.add_note(f"also, closing the half-started environment failed: {close_exc}")
            raise

    def _add_dependency(self, name: str, handle: DependencyHandle) -> None:
        self._handles[name] = handle

    def stubs(self) -> dict[str, tuple[Stub, ...]]:
        """The fake APIs' baseline answers, by dependency name (what heal restores)."""
        return {name: dep.stubs for name, dep in self.target.dependencies.items() if dep.kind is DependencyKind.HTTP}

    def _apply_stubs(self) -> None:
        """Before the SUT starts: each fake API answers as the target's stubs say (it may call it at once)."""
        for name, stubs in self.stubs().items():
            handle = self._handles[name]
            if stubs and isinstance(handle, HttpUpstreamHandle):
                handle.control.set_stubs(stubs)

    def _add_process(self, handle: ProcessHandle) -> None:
        self._processes[handle.name] = handle

    def _set_sut(self, sut: SutT) -> None:
        self._sut = self.sut = sut

    def _require_sut(self) -> SutT:
        if self._sut is None:
            raise RuntimeError(f"environment {self.env_id}: the SUT is not started")
        return self._sut

    def _on_close(self, label: str, closer: Callable[[], None]) -> None:
        """Register a release step (run in reverse order by close(); `label` names it in errors)."""
        self._closers.append((label, closer))

    def _timed(self, label: str, step: Callable[[], object]) -> None:
        """Run a start-up step and record how long it took in `startup_times`."""
        start = time.monotonic()
        step()
        self.startup_times[label] = time.monotonic() - start

    def _release(self) -> list[str]:
        """The registered release steps, last registered first; one line per failure."""
        errors: list[str] = []
        for label, closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:
                errors.append(f"{label}: {type(exc).__name__}: {exc}")
        return errors

    def _close_failed(self, errors: list[str]) -> Exception:
        """The error close() raises when something was left behind."""
        return RuntimeError(f"closing environment {self.env_id} left problems: " + "; ".join(errors))

    def _closed_cleanly(self) -> None:
        """After a close that left nothing behind (the local backend forgets its registry record)."""

    def _one(self, cls: type[_H], kind: DependencyKind, name: str | None) -> _H:
        found = [h for n, h in self.dependencies.items() if isinstance(h, cls) and (name is None or n == name)]
        if len(found) != 1:
            have = [n for n, h in self.dependencies.items() if isinstance(h, cls)]
            raise KeyError(f"{self.target.path}: expected one {kind.value} dependency"
                           f"{f' named {name!r}' if name else ''}, found {have or 'none'}")
        return found[0]
