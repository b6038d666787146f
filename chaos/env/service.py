"""What both backends' SUT handles share: the [service] table, the environment, the probe, heal's step.

`LocalSut` (a process of ours) and `DockerSut` (a compose container) differ in how they start, stop,
signal and read logs; what the service is, what environment it gets, how readiness is judged (health
and readiness answer 200 from the suite's side) and how heal() brings it back are the same, and live
here.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from signal import Signals
from typing import Protocol

import httpx

from chaos.targetfile import Service

__all__ = ["ServiceHandle", "recover_process"]


class ServiceHandle:
    """Base of the SUT handles. Subclasses implement the `SutHandle` protocol's process side and
    `is_frozen()`; `_lock` serialises their lifecycle calls (faults and heal() may use other threads).
    """

    thawed_note: str   # heal()'s journal line after thawing a frozen service (set by each backend)

    def __init__(self, *, service: Service, base_url: str, env: Mapping[str, str]) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._env = dict(env)
        self._extra_env: dict[str, str] = {}
        self._lock = threading.RLock()

    @property
    def env(self) -> Mapping[str, str]:
        """The environment the service is started with: the backend's, with the last restart's
        `extra_env` on top."""
        return {**self._env, **self._extra_env}

    # --- for subclasses: the SutHandle protocol, and is_frozen ------------------------------------

    def pid(self) -> int | None:
        raise NotImplementedError

    def is_alive(self) -> bool:
        raise NotImplementedError

    def is_frozen(self) -> bool:
        """Stopped in place (SIGSTOP, docker pause): alive, but nothing answers."""
        raise NotImplementedError

    def signal(self, sig: Signals) -> None:
        raise NotImplementedError

    def wait_exit(self, timeout_s: float) -> int | None:
        raise NotImplementedError

    def exit_code(self) -> int | None:
        raise NotImplementedError

    def restart(self, *, extra_env: Mapping[str, str] | None = None) -> None:
        raise NotImplementedError

    def ensure_running(self) -> None:
        raise NotImplementedError

    def wait_ready(self, timeout_s: float | None = None) -> None:
        raise NotImplementedError

    def logs(self, *, tail: int | None = None) -> str:
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------------

    def _probe(self) -> bool:
        """One readiness check: health (and readiness, if it has one) answer 2xx. The target's own
        healthy convention is for the contracts; a service that is up answers its probes with 2xx."""
        paths = [self.service.health]
        if self.service.ready is not None and self.service.ready != self.service.health:
            paths.append(self.service.ready)
        for path in paths:
            response = httpx.get(self.base_url + path, timeout=1.0, trust_env=False,
                                 headers=dict(self.service.headers))
            if not 200 <= response.status_code < 300:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
        return True

    def recover(self) -> list[str]:
        """heal()'s step for the SUT: thaw it if frozen, start it again if it ended. One line per
        repair (for the journal); the environment then waits until it is ready."""
        return recover_process(self, what="the SUT", thawed_note=self.thawed_note)


class _Restartable(Protocol):
    def is_frozen(self) -> bool: ...
    def is_alive(self) -> bool: ...
    def signal(self, sig: Signals) -> None: ...
    def exit_code(self) -> int | None: ...
    def ensure_running(self) -> None: ...


def recover_process(handle: _Restartable, *, what: str, thawed_note: str) -> list[str]:
    """Thaw `handle` if frozen, start it again if it ended; one line per repair (for the journal).
    Shared by the SUT handles and the extra processes' (`what` names it: "the SUT", "process worker")."""
    repairs: list[str] = []
    if handle.is_frozen():
        handle.signal(Signals.SIGCONT)
        repairs.append(thawed_note)
    if not handle.is_alive():
        code = handle.exit_code()
        handle.ensure_running()
        repairs.append(f"restarted {what} (it had exited with code {code})")
    return repairs
