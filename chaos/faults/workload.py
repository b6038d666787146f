"""Workload faults: requests the SUT must reject without losing anything (the leak-on-400 pattern)."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.answers import Status, holds
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.observe import RequestSpec, Timeline, Tolerance, steady_state

__all__ = ["InvalidRequests"]

CLIENT_ERROR = Status(classes=frozenset({4}))
"""What a request that fails validation answers: any 4xx."""


@dataclass(frozen=True, kw_only=True)
class InvalidRequests:
    """Send `count` requests that fail validation, one after another, and record how they ended.

    Proof is the number answered with a 4xx: a request rejected for the right reason went through
    the validation path whose resources must be released. Nothing to undo; the requests are on the
    timeline under the spec's label.
    """

    base_url: str
    request: RequestSpec
    count: int
    timeline: Timeline
    timeout_s: float = 5.0

    @property
    def name(self) -> str:
        return f"invalid_requests({self.request.name})"

    @property
    def intent(self) -> str:
        return f"send {self.count} invalid {self.request.method} {self.request.path} requests, one at a time"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.takes_effect_now()
        sent = steady_state(self.base_url, [self.request], count=self.count, timeout_s=self.timeout_s,
                            timeline=self.timeline,
                            tolerance=Tolerance(max_latency_s=self.timeout_s, answer=CLIENT_ERROR))
        rejected = sum(1 for r in sent.records if holds(CLIENT_ERROR, r))
        if rejected:
            receipt.effect(f"{rejected}/{self.count} invalid requests rejected with a 4xx", hits=rejected)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return []
