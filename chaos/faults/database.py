"""Database-side faults: the server itself drops the SUT's pooled connections.

Every DB fault says in its receipt how many of the service's own connections it cut, by state
(`connections_note`): a pool that exits on an idle client's error only shows its defect when an
idle pooled connection is cut, so "it passed" must be told apart from "nothing was idle to cut".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import psycopg

from chaos.env.base import DependencyHandle, PostgresHandle
from chaos.env.postgres_admin import ClientBackend
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["BackendsTerminated", "connections_note", "describe_backends"]

IDLE_WAIT_S: Final = 3.0
"""How long the fault waits for an idle pooled connection to exist before it acts."""
_POLL_S: Final = 0.05


def describe_backends(backends: Sequence[ClientBackend]) -> str:
    """ "5 connections of the service (3 idle, 2 active; pids 101, 102, ...)"."""
    states: dict[str, int] = {}
    for b in backends:
        states[b.state or "unknown"] = states.get(b.state or "unknown", 0) + 1
    by_state = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    pids = ", ".join(str(b.pid) for b in backends[:8]) + (", ..." if len(backends) > 8 else "")
    return f"{len(backends)} connections of the service ({by_state}; pids {pids})" if backends \
        else "no connection of the service"


def connections_note(dependency: DependencyHandle) -> str | None:
    """What a fault on `dependency` is about to cut, when it is a Postgres (None otherwise, or when
    the server cannot be asked)."""
    if not isinstance(dependency, PostgresHandle) or not dependency.is_running():
        return None
    try:
        return f"{dependency.name} held {describe_backends(dependency.client_backends())} when the fault began"
    except (psycopg.Error, OSError) as exc:   # evidence only: a failed count must not stop the fault
        return f"could not count the service's connections to {dependency.name}: {type(exc).__name__}: {exc}"


@dataclass(frozen=True, kw_only=True)
class BackendsTerminated:
    """`pg_terminate_backend` on every connection the SUT holds, as an admin or failover would.

    One-shot: there is nothing to undo, the pool must reconnect by itself. With `idle_required`
    (default) the fault first waits up to `IDLE_WAIT_S` for an idle pooled connection to exist and
    only counts idle ones as its proof: an error on an idle client is what exits a badly written
    pool, and a run in which no connection was idle could not have shown it (inconclusive, not
    passed).
    """

    dependency: PostgresHandle
    idle_required: bool = True

    @property
    def name(self) -> str:
        return f"terminate_backends({self.dependency.name})"

    @property
    def intent(self) -> str:
        idle = ", with idle pooled connections among them" if self.idle_required else ""
        return f"terminate every client backend of {self.dependency.name} (the SUT's pooled connections{idle})"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        before = self._wait_for_idle() if self.idle_required else self.dependency.client_backends()
        receipt.takes_effect_now()
        pids = set(self.dependency.terminate_client_backends())
        cut = [b for b in before if b.pid in pids]
        receipt.note(f"terminated {describe_backends(cut)}; {len(pids - {b.pid for b in before})} more "
                     "opened meanwhile")
        counted = [b for b in cut if b.idle] if self.idle_required else cut
        if counted:
            receipt.effect(f"terminated {describe_backends(cut)}", hits=len(counted))
        elif pids and self.idle_required:
            receipt.note("none of the service's connections was idle when they were cut: an idle client's "
                         "error was not exercised")

    def _wait_for_idle(self) -> list[ClientBackend]:
        deadline = time.monotonic() + IDLE_WAIT_S
        while True:
            backends = self.dependency.client_backends()
            if any(b.idle for b in backends) or time.monotonic() >= deadline:
                return backends
            time.sleep(_POLL_S)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return [] if self.dependency.is_running() else [f"{self.dependency.name} is down"]
