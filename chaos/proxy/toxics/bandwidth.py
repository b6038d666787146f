"""bandwidth: limits a stream to `rate` KB/s (1 KB = 1000 bytes); rate 0 holds all data."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from chaos.proxy.stream import Chunk, End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["Bandwidth"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bandwidth(Toxic):
    """Chunks larger than 100 ms worth of data are split and sent piece by piece, each when the
    rate allows. `rate` 0 holds data (not drops it) until the toxic is updated or removed, then
    flushes it: the "connection cut" idiom of testcontainers' ContainerProxy relies on this."""

    rate: int = attribute("KB/s, 1 KB = 1000 bytes; 0 holds all data")

    async def pipe(self, stub: ToxicStub) -> None:
        piece_max = self.rate * 100  # bytes per 100 ms
        next_due = time.monotonic()  # when the rate allows the next byte out
        while True:
            item = await stub.read()
            if isinstance(item, End):
                stub.close(item)
                return
            if item is None:
                continue
            if self.rate == 0:
                await self._hold(stub, item)
            next_due = max(next_due, time.monotonic())
            view = memoryview(item.data)
            sent = 0
            while sent < len(view):
                piece = view[sent:sent + piece_max]
                next_due += len(piece) / (self.rate * 1000)
                try:
                    await stub.sleep_until(next_due)
                except asyncio.CancelledError:
                    stub.send(Chunk(bytes(view[sent:]), item.timestamp))  # flush, don't drop
                    raise
                stub.send(Chunk(bytes(piece), item.timestamp))
                sent += len(piece)

    @staticmethod
    async def _hold(stub: ToxicStub, item: Chunk) -> None:
        try:
            await stub.sleep(None)
        except asyncio.CancelledError:
            stub.send(item)  # the toxic changed: release what we held
            raise
