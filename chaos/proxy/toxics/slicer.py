"""slicer: splits each chunk into slices of about `average_size` bytes, `delay` µs apart."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from chaos.proxy.stream import Chunk, End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, ToxicAttributeError, attribute

__all__ = ["Slicer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Slicer(Toxic):
    """Toxiproxy's halving split, done iteratively. We refuse `average_size` 0 and
    `size_variation > average_size`, which make Toxiproxy recurse forever or panic on slice bounds
    (issue #541). `size_variation == average_size` works in Toxiproxy (a split point may then fall on
    the start of the chunk: an empty slice, which we skip), so it is accepted here too."""

    average_size: int = attribute("bytes, > 0")
    size_variation: int = attribute("bytes, <= average_size")
    delay: int = attribute("µs between slices")

    def check(self) -> None:
        if self.average_size <= 0:
            raise ToxicAttributeError(f"average_size: must be > 0 (bytes), got {self.average_size}")
        if self.size_variation > self.average_size:
            raise ToxicAttributeError(
                f"size_variation: must be <= average_size ({self.average_size}), got {self.size_variation}")

    def bounds(self, size: int, rng: random.Random) -> list[tuple[int, int]]:
        """Slice boundaries for `size` bytes, in order."""
        out: list[tuple[int, int]] = []
        todo = [(0, size)]
        while todo:
            start, end = todo.pop()
            if (end - start) - self.average_size <= self.size_variation:
                if end > start:
                    out.append((start, end))
                continue
            mid = start + (end - start) // 2
            if self.size_variation > 0:
                mid += rng.randrange(2 * self.size_variation) - self.size_variation
            todo.append((mid, end))
            todo.append((start, mid))
        return out

    async def pipe(self, stub: ToxicStub) -> None:
        while True:
            item = await stub.read()
            if isinstance(item, End):
                stub.close(item)
                return
            if item is None:
                continue
            for start, end in self.bounds(len(item.data), stub.rng):
                stub.send(Chunk(item.data[start:end], item.timestamp))
                try:
                    await stub.sleep(self.delay / 1_000_000)
                except asyncio.CancelledError:
                    if end < len(item.data):
                        stub.send(Chunk(item.data[end:], item.timestamp))  # flush, don't drop
                    raise
