"""External API faults: the fake upstream answers slowly, with errors, with 429s, or not at all."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.env.base import HttpUpstreamHandle
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.upstream.control import Behaviour

__all__ = ["UpstreamMisbehaves"]


@dataclass(frozen=True, kw_only=True)
class UpstreamMisbehaves:
    """Switch the fake external API to `behaviour`; revert resets it (hung calls are released).

    Proof is the upstream's own request log: the calls that arrived while the behaviour was in
    force. No call means the SUT never reached the upstream during the fault.
    """

    dependency: HttpUpstreamHandle
    behaviour: Behaviour

    @property
    def name(self) -> str:
        return f"upstream({self.dependency.name})"

    @property
    def intent(self) -> str:
        b = self.behaviour
        parts = [f"status {b.status}"] if b.status != 200 else []
        if b.latency_ms:
            parts.append(f"latency {b.latency_ms} ms")
        if b.retry_after_s is not None:
            parts.append(f"Retry-After {b.retry_after_s:g} s")
        if b.hang:
            parts.append("hang")
        if b.fail_first:
            parts.append(f"first {b.fail_first} calls fail with {b.fail_status}")
        if b.reset_connection:
            parts.append("reset connections")
        if b.has_window:
            until = f"{b.fail_until_s:g} s" if b.fail_until_s is not None else "the heal"
            parts.append(f"calls from {b.fail_from_s or 0:g} s to {until} fail with {b.fail_window_status}")
        if b.fail_every:
            parts.append(f"every {b.fail_every}th call fails with {b.fail_every_status}")
        if b.fail_fraction:
            seed = f", seed {b.seed}" if b.seed is not None else ""
            parts.append(f"{b.fail_fraction:.0%} of calls fail with {b.fail_fraction_status}{seed}")
        return f"{self.dependency.name} answers: " + (", ".join(parts) or "normally")

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        control = self.dependency.control
        undo.push(f"reset {self.dependency.name} behaviour", control.reset)
        control.clear_log()
        control.set(self.behaviour)

    def observe(self, receipt: Receipt) -> None:
        calls = self.dependency.control.requests()
        if calls:
            receipt.effect(f"{len(calls)} calls reached {self.dependency.name} under the fault",
                           hits=len(calls))

    def leftovers(self) -> list[str]:
        return []
