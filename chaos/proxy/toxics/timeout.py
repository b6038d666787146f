"""timeout: a blackhole. Drops all data; closes after `timeout` ms without data, or never if 0."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["Timeout"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeout(Toxic):
    """Every arriving chunk restarts the timer, as in Toxiproxy. With `timeout` 0 the connection
    stays open and silent until the toxic is removed; removal closes every live connection of that
    direction, even those whose toxicity draw chose noop (Toxiproxy's Cleanup, PR #168)."""

    timeout: int = attribute("ms; 0 = hold open forever")

    async def pipe(self, stub: ToxicStub) -> None:
        wait_s = self.timeout / 1000 if self.timeout > 0 else None
        while True:
            item = await stub.read(wait_s)
            if item is None:  # no data for `timeout` ms
                stub.close(End.CLOSE)
                return
            if isinstance(item, End):
                stub.close(item)
                return
            # a chunk: dropped on the ground

    def cleanup(self, stub: ToxicStub) -> None:
        """On removal: close the connection rather than let held-back traffic resume."""
        stub.close(End.CLOSE)
