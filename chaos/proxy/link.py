"""Link: one direction of one connection, from a source socket through the toxic chain to a sink.

While a direction has no toxic the link is on the *fast path*: the source protocol writes each
read straight into the destination transport (see `connection.Side.data_received`), so an idle
proxy costs one callback and one send per chunk. Adding a toxic switches the link, live, to the
*chain*: `head` Chan -> stub -> Chan -> stub ... -> `tail` Chan -> writer task -> destination.
Removing the last toxic drains the chain and returns to the fast path. Live changes follow
Toxiproxy's link.go: add appends a stub and restarts the previous one, update restarts the stub,
remove interrupts it, runs its cleanup, hands its queued input on, and restarts the previous one.
Every (re)start draws toxicity again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from chaos.proxy.stream import Backlog, Chan, Chunk, Direction, End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics import NOOP, CleanupToxic, StatefulToxic

if TYPE_CHECKING:
    from chaos.proxy.toxic_collection import ToxicEntry

__all__ = ["Link", "LinkOwner"]


class LinkOwner(Protocol):
    """What a link reports to its connection."""

    def link_ended(self, link: Link, end: End) -> None: ...

    def crash(self, exc: BaseException) -> None: ...


class Link:
    """Data read from `src` flows to `dst` through this direction's toxics (or straight through)."""

    __slots__ = ("_src_paused", "_writable", "_writer", "_writer_idle", "backlog", "direction",
                 "done", "dst", "dst_paused", "entries", "head", "labels", "owner", "received",
                 "rng", "sent", "src", "stubs", "tail")

    def __init__(self, *, owner: LinkOwner, direction: Direction, src: asyncio.Transport,
                 dst: asyncio.Transport, rng: random.Random, labels: tuple[str, str, str, str]) -> None:
        self.owner = owner
        self.direction = direction
        self.src = src
        self.dst = dst
        self.rng = rng
        self.labels = labels  # (direction, proxy, listener, upstream) for the byte counters
        self.received = 0  # bytes read from src (counted per chunk)
        self.sent = 0  # bytes written to dst
        self.head: Chan | None = None  # where reads go; None = fast path
        self.tail: Chan | None = None  # what the writer drains
        self.stubs: list[ToxicStub] = []
        self.entries: list[ToxicEntry] = []  # the toxic each stub runs, same order
        self.backlog = Backlog(self._update_reading)
        self.done = False  # the end marker reached dst (or the connection went away)
        self.dst_paused = False
        self._src_paused = False
        self._writer: asyncio.Task[None] | None = None
        self._writer_idle = False  # the writer waits on an empty tail (safe to cancel)
        self._writable: asyncio.Future[None] | None = None

    # --- set-up and teardown ----------------------------------------------------------------------

    def start(self, chain: Sequence[ToxicEntry]) -> None:
        """Begin with the proxy's current toxics for this direction (fast path if none)."""
        if not chain:
            return
        self._to_chain()
        assert self.tail is not None
        chans = [Chan(self.backlog) for _ in chain] + [self.tail]
        self.head = chans[0]
        for i, entry in enumerate(chain):
            stub = self._new_stub(entry, chans[i], chans[i + 1])
            self.stubs.append(stub)
            self.entries.append(entry)
        for stub, entry in zip(self.stubs, self.entries, strict=True):
            stub.start(entry.toxic, entry.toxicity, NOOP)

    def close(self) -> None:
        """Stop every task of this link at once; the connection closes the sockets."""
        self.done = True
        for stub in self.stubs:
            stub.cancel()
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    # --- data in ----------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """A read from src while on the chain (the fast path is inlined in the protocol)."""
        self.received += len(data)
        assert self.head is not None
        self.head.put(Chunk(data, time.monotonic()))

    def feed_end(self, end: End) -> None:
        """The source ended (EOF) or went away (CLOSE): the marker follows the data."""
        if self.done:
            return
        if self.head is None:
            self._deliver_end(end)
        else:
            self.head.put(end)

    # --- flow control -----------------------------------------------------------------------------

    def pause_dst(self) -> None:
        self.dst_paused = True
        self._update_reading()

    def resume_dst(self) -> None:
        self.dst_paused = False
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._update_reading()

    def _update_reading(self) -> None:
        want_paused = self.dst_paused or self.backlog.full
        if want_paused != self._src_paused and not self.src.is_closing():
            self._src_paused = want_paused
            if want_paused:
                self.src.pause_reading()
            else:
                self.src.resume_reading()

    # --- live toxic changes (called under the proxy's toxic lock) -------------------------------

    async def add_toxic(self, entry: ToxicEntry) -> None:
        if self.done:
            return
        if self.head is None:
            self._to_chain()
        assert self.tail is not None
        new_in = Chan(self.backlog)
        stub = self._new_stub(entry, new_in, self.tail)
        if not self.stubs:
            self.head = new_in  # what is already in tail goes out first, then the chain
            self.stubs.append(stub)
            self.entries.append(entry)
            stub.start(entry.toxic, entry.toxicity, NOOP)
            return
        last, last_entry = self.stubs[-1], self.entries[-1]
        alive = await last.interrupt()
        last.output = new_in
        self.stubs.append(stub)
        self.entries.append(entry)
        if alive and not self.done:
            stub.start(entry.toxic, entry.toxicity, NOOP)
            last.start(last_entry.toxic, last_entry.toxicity, NOOP)
        else:
            stub.closed = True  # the stream already ended before this point

    async def update_toxic(self, index: int, entry: ToxicEntry) -> None:
        if self.done:
            return
        self.entries[index] = entry
        stub = self.stubs[index]
        if await stub.interrupt() and not self.done:
            stub.start(entry.toxic, entry.toxicity, NOOP)

    async def remove_toxic(self, index: int) -> None:
        if self.done:
            return
        stub, entry = self.stubs[index], self.entries[index]
        alive = await stub.interrupt()
        if alive and isinstance(entry.toxic, CleanupToxic):
            entry.toxic.cleanup(stub)  # timeout: closes the connection
        prev = self.stubs[index - 1] if index > 0 else None
        prev_alive = await prev.interrupt() if prev is not None else False
        for item in stub.input.take_all():  # queued input skips the removed toxic
            stub.output.put(item)
        if prev is not None:
            prev.output = stub.output
        else:
            self.head = stub.output
        del self.stubs[index]
        del self.entries[index]
        if prev is not None and prev_alive and not self.done:
            prev_entry = self.entries[index - 1]
            prev.start(prev_entry.toxic, prev_entry.toxicity, NOOP)
        self._maybe_fast_path()

    # --- internals --------------------------------------------------------------------------------

    def _new_stub(self, entry: ToxicEntry, input: Chan, output: Chan) -> ToxicStub:
        state = entry.toxic.new_state() if isinstance(entry.toxic, StatefulToxic) else None
        return ToxicStub(input=input, output=output, rng=self.rng, state=state, on_crash=self.owner.crash)

    def _to_chain(self) -> None:
        tail = Chan(self.backlog)
        self.head = self.tail = tail
        self._writer = asyncio.get_running_loop().create_task(self._write_loop(tail))

    def _maybe_fast_path(self) -> None:
        if self.stubs or self.tail is None or len(self.tail) or not self._writer_idle:
            return
        assert self._writer is not None
        self._writer.cancel()  # idle in tail.get(): cancelling loses nothing
        self._writer = None
        self.head = self.tail = None

    async def _write_loop(self, tail: Chan) -> None:
        dst = self.dst
        while True:
            if not self.stubs and not len(tail):  # last toxic gone and drained
                self._writer = None
                self.head = self.tail = None
                return
            self._writer_idle = True
            try:
                item = await tail.get()
            finally:
                self._writer_idle = False
            if type(item) is not Chunk:
                assert isinstance(item, End)
                self._writer = None
                self._deliver_end(item)
                return
            if self.dst_paused:
                self._writable = asyncio.get_running_loop().create_future()
                await self._writable
                self._writable = None
            if dst.is_closing():
                return
            dst.write(item.data)
            self.sent += len(item.data)

    def _deliver_end(self, end: End) -> None:
        if not self.done:
            self.done = True
            self.owner.link_ended(self, end)
