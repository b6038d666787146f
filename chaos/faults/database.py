"""Database-side faults: the server itself drops the SUT's pooled connections."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.env.base import PostgresHandle
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["BackendsTerminated"]


@dataclass(frozen=True, kw_only=True)
class BackendsTerminated:
    """`pg_terminate_backend` on every connection the SUT holds, as an admin or failover would.

    One-shot: there is nothing to undo, the pool must reconnect by itself. Proof is the list of
    backend PIDs that were terminated; none means the SUT held no connection and the experiment
    cannot tell anything.
    """

    dependency: PostgresHandle

    @property
    def name(self) -> str:
        return f"terminate_backends({self.dependency.name})"

    @property
    def intent(self) -> str:
        return f"terminate every client backend of {self.dependency.name} (the SUT's pooled connections)"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.takes_effect_now()
        pids = self.dependency.terminate_client_backends()
        if pids:
            receipt.effect(f"terminated backends {sorted(pids)}", hits=len(pids))

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return [] if self.dependency.is_running() else [f"{self.dependency.name} is down"]
