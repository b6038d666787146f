"""Connection: one accepted client, its freshly dialled upstream socket, and the two links between.

Sockets are asyncio protocols (uvloop under the server), so an untoxic'd direction is one Python
callback per read: `Side.data_received` writes straight into the other transport, and TCP
back-pressure is passed on by pausing the reading side when the writing side's buffer fills.

Behaviour, as Toxiproxy's proxy.go unless noted:
- the upstream is dialled (and resolved) anew for every client; if that fails the client, already
  accepted, is closed: it sees a connect that succeeds, then EOF (Toxiproxy issue #265);
- an EOF is passed on as a half-close (shutdown SHUT_WR) once the data before it is delivered, and
  the connection closes when both directions have ended. Toxiproxy closes both sockets at the
  first EOF, which breaks clients that half-close; ours keeps TCP's semantics (a divergence);
- a toxic's CLOSE closes both sockets after flushing; a RESET (reset_peer) sets SO_LINGER 0 on
  both and aborts them, so both peers get an RST;
- a socket that fails (peer reset) ends its reading link with CLOSE, so what the chain holds is
  still delivered before the other socket closes, as Go's read-error-then-close does.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from typing import TYPE_CHECKING, Protocol, cast

from chaos.proxy.addresses import AddressError, split_host_port
from chaos.proxy.link import Link
from chaos.proxy.stream import Direction, End

if TYPE_CHECKING:
    from chaos.proxy.toxic_collection import ToxicCollection

__all__ = ["Connection", "ConnectionOwner", "Side"]

log = logging.getLogger(__name__)

DIAL_TIMEOUT_S = 15.0  # Go dials without a deadline; ours is bounded, far above any loopback dial
WRITE_BUFFER_HIGH = 1 << 20  # larger than asyncio's 64 KiB: fewer pause/resume round trips in bulk
_LINGER_RST = struct.pack("ii", 1, 0)


class ConnectionOwner(Protocol):
    """What a connection needs from its proxy."""

    name: str
    listen: str
    upstream: str
    toxics: ToxicCollection
    rng: random.Random

    def connection_opened(self, conn: Connection) -> None: ...

    def connection_closed(self, conn: Connection) -> None: ...


class Side(asyncio.Protocol):
    """One socket of a connection. `out` is the link reading it, `into` the link writing to it."""

    __slots__ = ("conn", "early", "early_eof", "into", "out", "transport")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transport: asyncio.Transport | None = None
        self.out: Link | None = None
        self.into: Link | None = None
        self.early: list[bytes] = []  # read before the links existed (uvloop may read before pausing)
        self.early_eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's does not subclass asyncio's
        self.transport = transport
        transport.pause_reading()  # until both sockets are wired to their links
        transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        link = self.out
        if link is None:
            self.early.append(data)
        elif link.head is None:  # the fast path: no toxic in this direction
            link.dst.write(data)
            n = len(data)
            link.received += n
            link.sent += n
        else:
            link.feed(data)

    def eof_received(self) -> bool:
        if self.out is not None:
            self.out.feed_end(End.EOF)
        else:
            self.early_eof = True
        return True  # keep the socket open for the other direction (half-close)

    def wired(self) -> None:
        """The links exist: start reading, and first pass on what arrived before them."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
        early, self.early = self.early, []
        for data in early:
            self.data_received(data)
        if self.early_eof:
            self.eof_received()

    def pause_writing(self) -> None:
        if self.into is not None:
            self.into.pause_dst()

    def resume_writing(self) -> None:
        if self.into is not None:
            self.into.resume_dst()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.side_lost(self)


class Connection:
    """A client of a proxy and its upstream; closed as a whole."""

    def __init__(self, owner: ConnectionOwner) -> None:
        self.owner = owner
        self.client = Side(self)
        self.server = Side(self)
        self.links: tuple[Link, Link] | None = None
        self.closed = False
        self._eofs: set[Direction] = set()
        self._dial: asyncio.Task[None] | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def side_made(self, side: Side) -> None:
        if self.closed:  # the client left while we dialled: drop the late upstream socket
            assert side.transport is not None
            side.transport.abort()
        elif side is self.client:
            self.owner.connection_opened(self)
            self._dial = asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            host, port = split_host_port(self.owner.upstream)
            async with asyncio.timeout(DIAL_TIMEOUT_S):
                await loop.create_connection(lambda: self.server, host or "127.0.0.1", port)
        except (OSError, TimeoutError, AddressError) as exc:
            log.info("proxy %s: upstream %s unreachable (%s): closing the client",
                     self.owner.name, self.owner.upstream, exc)
            self._dial = None
            self.close()
            return
        self._dial = None
        if self.closed:
            self._abort_all()
            return
        client, server = self.client.transport, self.server.transport
        assert client is not None
        assert server is not None
        owner = self.owner
        up = Link(owner=self, direction=Direction.UPSTREAM, src=client, dst=server, rng=owner.rng,
                  labels=("upstream", owner.name, owner.listen, owner.upstream))
        down = Link(owner=self, direction=Direction.DOWNSTREAM, src=server, dst=client, rng=owner.rng,
                    labels=("downstream", owner.name, owner.listen, owner.upstream))
        self.client.out = self.server.into = up
        self.server.out = self.client.into = down
        self.links = (up, down)
        owner.toxics.attach(up)
        owner.toxics.attach(down)
        self.client.wired()
        self.server.wired()

    def link_ended(self, link: Link, end: End) -> None:
        """A direction delivered its end marker to its destination."""
        if end is End.EOF:
            if not link.dst.is_closing() and link.dst.can_write_eof():
                link.dst.write_eof()
            self._eofs.add(link.direction)
            if len(self._eofs) == 2:
                self.close()
        elif end is End.RESET:
            self.reset()
        else:
            self.close()

    def side_lost(self, side: Side) -> None:
        """A socket closed under us: its reading link ends, then the connection closes."""
        if self.closed:
            return
        if side.into is not None:  # nothing can be written to this socket any more
            side.into.close()
            if not side.into.src.is_closing():
                side.into.src.pause_reading()
        if side.out is None or side.out.done:
            self.close()
        else:
            side.out.feed_end(End.CLOSE)

    def crash(self, exc: BaseException) -> None:
        self.close()

    # --- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close both sockets after flushing what their transports buffer (FIN)."""
        if self._finish():
            for side in (self.client, self.server):
                if side.transport is not None:
                    side.transport.close()

    def reset(self) -> None:
        """Close both sockets with an RST (reset_peer)."""
        for side in (self.client, self.server):
            if side.transport is not None and not side.transport.is_closing():
                sock = side.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        if self._finish():
            self._abort_all()

    def abort(self) -> None:
        """Drop both sockets at once (proxy disabled, deleted or server stopping)."""
        if self._finish():
            self._abort_all()

    def _finish(self) -> bool:
        if self.closed:
            return False
        self.closed = True
        if self._dial is not None:
            self._dial.cancel()
        if self.links is not None:
            for link in self.links:
                link.close()
                self.owner.toxics.detach(link)
        self.owner.connection_closed(self)
        return True

    def _abort_all(self) -> None:
        for side in (self.client, self.server):
            if side.transport is not None:
                side.transport.abort()
