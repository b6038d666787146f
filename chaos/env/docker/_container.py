"""One compose service's container, through the docker SDK: state, signals, lifecycle, logs, exits.

The container is found by its compose labels (project + service) and found again when Compose
recreated it, so a handle stays valid across `up --force-recreate`.

Two ways to end a container's process are kept apart on purpose (issue 6; measured on Docker
20.10 with restart policy `always`): a signal delivered to the container's main process
(`deliver_signal`), after which the engine applies the restart policy as it would to a crash, and an
operator stop or `docker kill` (`stop`, `kill_via_engine`), which the engine records as a manual stop
and never restarts.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from chaos.errors import EngineError
from chaos.waiting import wait_until

__all__ = ["ContainerState", "ServiceContainer", "SignalRoute", "exit_code_from_status"]

log = logging.getLogger("chaos.env.docker")

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class SignalRoute(enum.StrEnum):
    """How a signal reached a container's main process."""

    HOST_PID = "host pid"      # os.kill on the main process: the restart policy applies
    ENGINE = "engine"          # `docker kill -s`: the engine counts it as a manual stop


def exit_code_from_status(status: int) -> int:
    """A container exit status as the local backend reports it: 128+N (killed by signal N) -> -N."""
    if 128 < status < 128 + 65:
        return -(status - 128)
    return status


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerState:
    """What `docker inspect` says about the container right now."""

    status: str               # created | running | paused | restarting | exited | dead
    running: bool             # the main process runs (also while paused)
    paused: bool
    restarting: bool          # dead and waiting for its restart policy
    pid: int | None           # the main process's PID on the engine's host
    exit_code: int            # the last exit status (reset to 0 when it starts again)
    restart_count: int        # restarts by the restart policy
    started_at: str
    health: str | None        # healthy | unhealthy | starting | None (no health check)

    @property
    def up(self) -> bool:
        """Running, not paused, not between a death and a restart."""
        return self.running and not self.paused and not self.restarting


class ServiceContainer:
    """The container of compose service `service` in project `project`."""

    def __init__(self, client: docker.DockerClient, *, project: str, service: str) -> None:
        self.client = client
        self.project = project
        self.service = service
        self._container: Container | None = None

    def __repr__(self) -> str:
        return f"ServiceContainer({self.project}/{self.service})"

    # --- finding -----------------------------------------------------------------------------------

    def container(self) -> Container:
        """The service's container (refreshed from the engine); EngineError if there is none."""
        if self._container is not None:
            try:
                self._container.reload()
                return self._container
            except docker.errors.NotFound:
                self._container = None
        found = self.client.containers.list(all=True, filters={"label": [
            f"{PROJECT_LABEL}={self.project}", f"{SERVICE_LABEL}={self.service}"]})
        if not found:
            raise EngineError(operation=f"find service {self.service!r}",
                              message=f"compose project {self.project} has no container for it "
                                      "(is the service name right, and is it in the compose file?)")
        # after a recreate the old one may linger for a moment: the newest is the current one
        found.sort(key=lambda c: str(c.attrs.get("Created", "")), reverse=True)
        self._container = found[0]
        return self._container

    @property
    def id(self) -> str:
        return str(self.container().id)

    def state(self) -> ContainerState:
        attrs: dict[str, Any] = self.container().attrs
        st = attrs.get("State", {})
        health = st.get("Health")
        pid = int(st.get("Pid") or 0)
        return ContainerState(
            status=str(st.get("Status", "")), running=bool(st.get("Running")), paused=bool(st.get("Paused")),
            restarting=bool(st.get("Restarting")), pid=pid or None, exit_code=int(st.get("ExitCode") or 0),
            restart_count=int(attrs.get("RestartCount") or 0), started_at=str(st.get("StartedAt", "")),
            health=str(health["Status"]) if health else None)

    def host_network(self) -> bool:
        return str(self.container().attrs.get("HostConfig", {}).get("NetworkMode")) == "host"

    def container_port(self, host_port: int) -> int | None:
        """The container port published as `host_port` (bridge mode), None if none is."""
        ports: dict[str, Any] = self.container().attrs.get("NetworkSettings", {}).get("Ports") or {}
        for spec, bindings in ports.items():
            for binding in bindings or ():
                if str(binding.get("HostPort")) == str(host_port):
                    return int(spec.split("/")[0])
        return None

    # --- signals -----------------------------------------------------------------------------------

    def _host_pid(self) -> int | None:
        """The main process's PID if it is visible here and really is this container's (same host and
        PID namespace as the engine: it sits in a cgroup named after the container)."""
        state = self.state()
        if state.pid is None:
            return None
        try:
            with open(f"/proc/{state.pid}/cgroup") as f:
                cgroups = f.read()
        except OSError:
            return None
        return state.pid if self.id in cgroups else None

    def deliver_signal(self, sig: signal.Signals) -> SignalRoute:
        """`sig` to the container's main process, the way a crash or the kernel would deliver it.

        On a local engine this is os.kill on the process (the restart policy then applies). On a
        remote engine (Docker Desktop's VM) the process is out of reach and the signal goes through
        the engine, which counts it as a manual stop: no automatic restart there.
        """
        pid = self._host_pid()
        if pid is not None:
            try:
                os.kill(pid, sig)
                return SignalRoute.HOST_PID
            except ProcessLookupError:
                pass   # it died meanwhile: let the engine report that
        log.info("%s: signal %s through the engine (main process not visible from here)", self, sig.name)
        self.kill_via_engine(sig)
        return SignalRoute.ENGINE

    def kill_via_engine(self, sig: signal.Signals) -> None:
        """`docker kill -s SIG`: an operator action; the engine will not restart the container."""
        try:
            self.container().kill(signal=sig.name)
        except docker.errors.APIError as exc:
            raise EngineError(operation=f"docker kill -s {sig.name} {self.service}",
                              message=str(exc)) from exc

    # --- lifecycle (operator actions) --------------------------------------------------------------

    def _api(self, what: str, call: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        try:
            call(*args, **kwargs)
        except docker.errors.APIError as exc:
            raise EngineError(operation=f"docker {what} {self.service} ({self.project})",
                              message=str(exc)) from exc

    def start(self) -> None:
        self._api("start", self.container().start)

    def stop(self, timeout_s: float) -> None:
        """`docker stop`: the stop signal, `timeout_s`, then SIGKILL; stays down (restart policy off)."""
        container = self.container()
        if container.attrs.get("State", {}).get("Paused"):
            self._api("unpause", container.unpause)
        self._api("stop", container.stop, timeout=max(0, round(timeout_s)))

    def restart(self, timeout_s: float) -> None:
        container = self.container()
        if container.attrs.get("State", {}).get("Paused"):
            self._api("unpause", container.unpause)
        self._api("restart", container.restart, timeout=max(0, round(timeout_s)))

    def pause(self) -> None:
        self._api("pause", self.container().pause)

    def unpause(self) -> None:
        self._api("unpause", self.container().unpause)

    def wait_state(self, check: Callable[[ContainerState], bool], *, what: str,
                   timeout_s: float) -> ContainerState:
        """Poll the state until `check(state)` is true (bounded); returns that state."""
        def probe() -> ContainerState | None:
            state = self.state()
            return state if check(state) else None
        result: ContainerState = wait_until(probe, timeout_s=timeout_s, interval_s=0.05,
                                            what=f"{self.service} ({self.project}) {what}")
        return result

    # --- observation -------------------------------------------------------------------------------

    def logs(self, *, tail: int | None = None) -> str:
        try:
            raw = self.container().logs(tail=tail if tail is not None else "all", timestamps=False)
        except (docker.errors.APIError, EngineError) as exc:
            return f"(no logs: {exc})"
        text: str = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        return text

    def exits_since(self, since_unix: float) -> list[int]:
        """Exit statuses of the container's main process since `since_unix` (engine `die` events), in
        order. This sees exits the restart policy has already papered over."""
        until = f"{time.time() + 0.001:.9f}"
        try:
            events = self.client.events(since=f"{since_unix:.9f}", until=until, decode=True,
                                        filters={"container": self.id, "event": "die"})
            statuses = [int(e.get("Actor", {}).get("Attributes", {}).get("exitCode", 0)) for e in events]
        except docker.errors.APIError as exc:
            raise EngineError(operation=f"docker events for {self.service}", message=str(exc)) from exc
        return statuses

    def health_log(self) -> str:
        """The last health check outputs, for error messages."""
        health = self.container().attrs.get("State", {}).get("Health") or {}
        entries = health.get("Log") or []
        return "\n".join(f"exit {e.get('ExitCode')}: {str(e.get('Output', '')).strip()}"
                         for e in entries[-3:])
