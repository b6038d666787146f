"""What flows through a link: directions, chunks of bytes, end markers, and the channel between stages.

A link (see `link.py`) is a pipeline: the source socket feeds a `Chan`, each toxic stub reads one
`Chan` and writes the next, and a writer drains the last one into the destination socket. As in
Toxiproxy, data moves as *chunks* (whatever one socket read returned) and toxics act per chunk.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Backlog", "Chan", "Chunk", "Direction", "End", "Item"]


class Direction(StrEnum):
    """The two links of a connection, named as Toxiproxy names its `stream`s."""

    UPSTREAM = "upstream"  # client -> server
    DOWNSTREAM = "downstream"  # server -> client

    @classmethod
    def parse(cls, raw: str) -> Direction | None:
        """Toxiproxy's ParseDirection: case-insensitive, so "UpStream" is upstream; None if neither."""
        try:
            return cls(raw.lower())
        except ValueError:
            return None


@dataclass(slots=True)
class Chunk:
    """Bytes from one socket read. `timestamp` (time.monotonic) is when it was read, moved forward by
    latency toxics so that stacked latencies add up (Toxiproxy's StreamChunk)."""

    data: bytes
    timestamp: float


class End(StrEnum):
    """The marker that ends a stream; it travels behind the data so nothing is cut short."""

    EOF = "eof"  # the source shut down its sending side: half-close the destination
    CLOSE = "close"  # a toxic ended the connection (timeout, limit_data): close both sockets
    RESET = "reset"  # reset_peer: close both sockets with an RST (SO_LINGER 0)


Item = Chunk | End


class Backlog:
    """Bytes a link holds between its sockets; above `high` the source is paused, at `low` resumed.

    This replaces Go's bounded channels: a stalled toxic (bandwidth rate 0, timeout) holds at most
    about `high` bytes per link and the sender then feels TCP back-pressure, as with Toxiproxy.
    """

    __slots__ = ("_on_change", "bytes", "full", "high", "low")

    def __init__(self, on_change: Callable[[], None], *, high: int = 1 << 20, low: int = 256 << 10) -> None:
        self._on_change = on_change
        self.high = high
        self.low = low
        self.bytes = 0
        self.full = False

    def add(self, n: int) -> None:
        self.bytes += n
        if not self.full and self.bytes > self.high:
            self.full = True
            self._on_change()
        elif self.full and self.bytes <= self.low:
            self.full = False
            self._on_change()


class Chan:
    """Unbounded FIFO between two stages of one link, with at most one waiting reader.

    Unbounded because putting must never block a toxic that is flushing on interrupt (Go blocks
    there and needs careful draining); the `Backlog` bounds what a link holds instead. `get` is
    cancellation-safe: an item is only taken once the reader runs again, so interrupting a stub
    (cancelling its task) never loses data.
    """

    __slots__ = ("_backlog", "_items", "_waiter")

    def __init__(self, backlog: Backlog) -> None:
        self._items: deque[Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._backlog = backlog

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Item) -> None:
        self._items.append(item)
        if type(item) is Chunk:
            self._backlog.add(len(item.data))
        self._wake()

    def put_front(self, item: Item) -> None:
        """Give an item back (a toxic interrupted while holding it), to be read first again."""
        self._items.appendleft(item)
        if type(item) is Chunk:
            self._backlog.add(len(item.data))
        self._wake()

    def take_all(self) -> list[Item]:
        """Remove and return everything queued (used when a stub leaves the chain)."""
        items = list(self._items)
        self._items.clear()
        self._backlog.add(-sum(len(i.data) for i in items if type(i) is Chunk))
        return items

    async def get(self) -> Item:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if type(item) is Chunk:
            self._backlog.add(-len(item.data))
        return item

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
