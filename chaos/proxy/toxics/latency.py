"""latency: delays every chunk by `latency` ± `jitter` ms, counted from when the chunk was read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["Latency"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency(Toxic):
    """One-way delay (per stream). Chunks are timed from their read time, so a steady stream is not
    throttled, and stacked latency toxics add up (each moves the chunk's timestamp forward)."""

    latency: int = attribute("ms")
    jitter: int = attribute("ms, uniform in [-jitter, +jitter) per chunk")

    async def pipe(self, stub: ToxicStub) -> None:
        while True:
            item = await stub.read()
            if isinstance(item, End):
                stub.close(item)
                return
            if item is None:
                continue
            delay_ms = self.latency
            if self.jitter > 0:
                delay_ms += stub.rng.randrange(2 * self.jitter) - self.jitter
            due = item.timestamp + max(delay_ms, 0) / 1000
            try:
                await stub.sleep_until(due)
            except asyncio.CancelledError:
                stub.send(item)  # interrupted: forward at once, don't drop data on the floor
                raise
            item.timestamp = max(due, item.timestamp)
            stub.send(item)
