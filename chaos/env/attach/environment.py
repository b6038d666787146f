"""The attach backend: an environment over a deployment that runs already. It starts nothing.

`AttachBackend().start(target)` checks what the target names (the Toxiproxy answers, every
dependency's proxy exists on it, the service is ready), heals what an earlier run may have left
(the suite's own toxics, a disabled proxy) and returns. With `--chaos-sut-env` (defect switches for
`chaos matrix`) it runs the service's redeploy command with them, and again with them emptied when
it closes. `heal()` brings the deployment back to its baseline between experiments with the same
commands; `close()` heals once more and releases only the suite's own clients.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from chaos.env.attach.commands import CommandRunner
from chaos.env.attach.dependencies import (
    AttachDependency,
    AttachPostgres,
    AttachRedis,
    AttachUpstream,
    attach_dependency,
)
from chaos.env.attach.service import AttachSut
from chaos.env.attach.watchdog import WatchdogClient
from chaos.env.base import HttpUpstreamHandle
from chaos.env.environment import EnvironmentBase, make_workdir
from chaos.errors import ChaosError, CommandNotDeclared, ToxiproxyApiError
from chaos.proxy.client import ProxyInfo, ToxiproxyClient
from chaos.report.masking import SecretMask
from chaos.targetfile import Target
from chaos.targetfile.attach import Action, AttachSpec

__all__ = ["SUITE_TOXIC_PREFIX", "AttachBackend", "AttachEnvironment", "AttachError"]

SUITE_TOXIC_PREFIX = "chaos_"
"""Toxics the suite adds are named `chaos_<type>_<stream>` (chaos.faults.network): heal removes
those and leaves anyone else's alone."""


class AttachError(ChaosError):
    """The deployment is not what the target file says (no Toxiproxy, a missing proxy, not ready)."""


class AttachBackend:
    """Attaches to the deployment a target's `[attach]` table describes. `environ` is what the
    declared commands run with (default: this process's environment)."""

    name = "attach"

    def __init__(self, *, environ: Mapping[str, str] | None = None) -> None:
        self.environ = environ

    def start(self, target: Target, *, worker_id: str = "main", sut_env: Mapping[str, str] | None = None,
              workdir: Path | None = None) -> AttachEnvironment:
        """Check the deployment and return once the service is ready (nothing is started)."""
        if target.attach is None:
            raise AttachError(f"{target.path}: no [attach] table: the attach backend drives a deployment that "
                              "runs already, and this target describes one for the suite to start")
        env = AttachEnvironment(target=target, spec=target.attach, env_id=f"attach-{worker_id}",
                                workdir=make_workdir(workdir, prefix=f"chaos-attach-{worker_id}-"),
                                environ=self.environ)
        env.start_or_close(functools.partial(env.attach, dict(sut_env or {})))
        return env


class AttachEnvironment(EnvironmentBase[AttachPostgres, AttachRedis, AttachUpstream, AttachSut]):
    """A deployment the suite attached to (implements `chaos.env.base.Environment`)."""

    backend = "attach"
    postgres_type = AttachPostgres
    redis_type = AttachRedis
    upstream_type = AttachUpstream

    def __init__(self, *, target: Target, spec: AttachSpec, env_id: str, workdir: Path,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(target=target, env_id=env_id, workdir=workdir)
        self.spec = spec
        self.runner = CommandRunner(log=self.command_log, mask=SecretMask(target.secrets), cwd=target.target_dir,
                                    workdir=workdir / "commands", environ=environ)
        self.proxy_url = spec.toxiproxy_url or ""
        self.proxy = ToxiproxyClient(self.proxy_url or "http://127.0.0.1:8474")
        self._on_close("the Toxiproxy client", self.proxy.close)
        self._baseline: dict[str, ProxyInfo] = {}   # each proxy as found when attaching
        self._deps: dict[str, AttachDependency] = {}
        self._redeployed: dict[str, str] = {}

    @property
    def attached_sut(self) -> AttachSut:
        return self._require_sut()

    # --- attaching ---------------------------------------------------------------------------------

    def attach(self, sut_env: Mapping[str, str]) -> None:
        """Check the deployment against the target, heal leftovers, switch `sut_env` on (redeploy)."""
        target = self.target
        watchdog = WatchdogClient(log_path=self.workdir / "watchdog.log", cwd=target.target_dir,
                                  environ=self.runner.environ, secrets=target.secrets)
        self.runner.watchdog = watchdog
        self._on_close("the watchdog", watchdog.close)   # closed last: the restore below may need it
        if target.dependencies:
            self._attach_proxies()
        sut = AttachSut(service=target.service, spec=self.spec.service, runner=self.runner)
        self._set_sut(sut)
        self._on_close("the service watcher", sut.close)
        self._on_close("restore the deployment", self._restore)
        if sut_env:
            if not sut.part.declares(Action.REDEPLOY):
                raise CommandNotDeclared(key="[attach.service].redeploy", needed_for=(
                    f"switch {', '.join(sut_env)} on the running service (--chaos-sut-env): the suite starts "
                    "nothing in attach mode, the redeploy command does it"))
            self._redeployed = dict(sut_env)
            self.reaped.extend(self._heal_proxies())
            sut.redeploy(sut_env)
        self.reaped.extend(f"{line} (left by an earlier run)" for line in self.heal())
        if sut.part.declares(Action.PID) and sut.pid() is None:
            raise AttachError(f"[attach.service].pid printed no number while the service at {sut.base_url} "
                              "answers: it must print the running instance's PID (or another integer identity)")

    def _attach_proxies(self) -> None:
        url = self.proxy_url
        try:
            self.proxy.version()
            found = self.proxy.proxies()
        except ToxiproxyApiError as exc:
            raise AttachError(f"the Toxiproxy at {url} ([attach].toxiproxy_url) cannot be used: {exc}") from None
        host = urlsplit(url).hostname or "127.0.0.1"
        for name, dep in self.target.dependencies.items():
            spec = self.spec.dependency(name)
            info = found.get(spec.proxy)
            if info is None:
                raise AttachError(f"dependency {name}: no proxy {spec.proxy!r} on the Toxiproxy at {url} "
                                  f"(it has: {', '.join(sorted(found)) or 'none'}); set "
                                  f"[attach.dependencies.{name}].proxy to the proxy in front of it")
            self._baseline[spec.proxy] = info
            handle = attach_dependency(dependency=dep, spec=spec, runner=self.runner, proxy=info, toxiproxy_host=host)
            self._deps[name] = handle
            self._add_dependency(name, handle)
            self._on_close(f"{dep.kind} {name}", handle.close)

    # --- Environment -------------------------------------------------------------------------------

    def heal(self) -> list[str]:
        """Back to the baseline: the suite's toxics removed, proxies enabled and accepting, paused or
        down dependencies resumed or started, the fake APIs reset, the service resumed, started and
        ready. Returns what had to be repaired (for the journal)."""
        repairs = self._heal_around_service()
        sut = self.attached_sut
        repairs.extend(sut.recover())
        sut.wait_ready()
        return repairs

    def _heal_around_service(self) -> list[str]:
        """heal() but the service: dependencies, then their proxies, then the fake APIs' behaviour."""
        repairs: list[str] = []
        for dep in self._deps.values():
            repairs.extend(dep.recover())
        repairs.extend(self._heal_proxies())
        stubs = self.stubs()
        for name, dep in self._deps.items():
            if isinstance(dep, HttpUpstreamHandle):
                dep.control.reset()
                wanted = list(stubs.get(name, ()))
                if wanted and dep.control.stubs() != wanted:
                    dep.control.set_stubs(wanted)
                    repairs.append(f"restored the {len(wanted)} stubs of the fake API {name}")
        return repairs

    def _heal_proxies(self) -> list[str]:
        repairs: list[str] = []
        for name, before in self._baseline.items():
            info = self.proxy.get_proxy(name)
            for toxic in info.toxics:
                if toxic.name.startswith(SUITE_TOXIC_PREFIX):
                    self.proxy.delete_toxic(name, toxic.name)
                    repairs.append(f"removed toxic {toxic.name} ({toxic.type}, {toxic.stream}) from proxy {name}")
            if not info.enabled:
                self.proxy.update_proxy(name, enabled=True)
                repairs.append(f"enabled proxy {name}")
            if not info.accepting:
                self.proxy.update_proxy(name, accept=True)
                repairs.append(f"proxy {name} accepts connections again")
            if info.upstream != before.upstream:
                repairs.append(f"note: proxy {name} now points at {info.upstream} (it was {before.upstream} when "
                               "the suite attached; left as it is)")
        return repairs

    def _restore(self) -> None:
        """At close: the deployment's own settings back first (a defect switched on may be what keeps
        the service from being healthy: a leaked pool), then nothing of the suite's left on it."""
        if self._redeployed:
            switches, self._redeployed = self._redeployed, {}
            try:
                self._heal_around_service()
            finally:
                self.attached_sut.redeploy(dict.fromkeys(switches, ""))
        self.heal()


if TYPE_CHECKING:   # mypy proves, on every run, that the attach backend implements the protocols
    from chaos.env.base import Backend, Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle, SutHandle

    def _conforms(*, backend: AttachBackend, env: AttachEnvironment, pg: AttachPostgres, rd: AttachRedis,
                  up: AttachUpstream, sut: AttachSut) -> tuple[Backend, Environment, PostgresHandle,
                                                             RedisHandle, HttpUpstreamHandle, SutHandle]:
        return backend, env, pg, rd, up, sut
