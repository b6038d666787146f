"""Proxy: a named TCP listener that relays every client to `upstream` through its toxics.

Toxiproxy's proxy.go semantics: enabling binds the listener (its `listen` then shows the bound
address, "127.0.0.1:0" becoming "127.0.0.1:54321"); disabling closes the listener, so new clients
get ECONNREFUSED, and drops every live connection. Toxics stay attached across disable/enable and
across listen/upstream changes. The proxy owns its connections: `stop()` closes them all.

Chaos extension, `accepting = False` (see `_parking`): the listener stays bound but nothing is
accepted and its accept queue is kept full, so new clients hit their *connect* timeout; live
connections carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket

from chaos.errors import ToxiproxyApiError
from chaos.proxy._parking import ParkedQueue
from chaos.proxy.addresses import LISTEN_BACKLOG, ListenPolicy, normalize_listen, open_listener
from chaos.proxy.connection import Connection
from chaos.proxy.link import Link
from chaos.proxy.metrics import Traffic
from chaos.proxy.toxic_collection import ToxicCollection

__all__ = ["Proxy"]


class Proxy:
    """One proxy: its settings as the API shows them, its listener, connections and toxics."""

    def __init__(self, *, name: str, listen: str, upstream: str, rng: random.Random,
                 traffic: Traffic, policy: ListenPolicy) -> None:
        self.name = name
        self.listen = listen  # as given until started, then the bound address
        self.upstream = upstream  # never validated: a bad value fails each client at dial time
        self.enabled = False
        self.accepting = True  # chaos extension: False = listen but never accept (connect timeouts)
        self.rng = rng
        self.toxics = ToxicCollection()
        self._traffic = traffic
        self._policy = policy
        self._sock: socket.socket | None = None  # the listening socket; the server serves a dup of it
        self._server: asyncio.AbstractServer | None = None
        self._parked: ParkedQueue | None = None
        self._connections: set[Connection] = set()

    @property
    def connections(self) -> int:
        return len(self._connections)

    def bound(self) -> tuple[str, int] | None:
        """The address the listening socket really has (None while disabled): what checks that
        nothing listens off loopback read, rather than the `listen` string the API shows."""
        if self._sock is None:
            return None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> bool:
        """Listen; False if already listening. Raises ToxiproxyApiError 500 if binding fails."""
        if self.enabled:
            return False
        sock, bound = await open_listener(self.listen, self._policy)
        self._sock = sock
        try:
            if self.accepting:
                await self._serve()
            else:
                self._parked = await ParkedQueue.fill(sock)
        except BaseException:
            self._close_listener()
            raise
        self.listen = bound
        self.enabled = True
        return True

    async def _serve(self) -> None:
        # The server gets a duplicate descriptor, so closing the server (to stop accepting) leaves
        # the listening socket itself open and bound.
        assert self._sock is not None
        dup = self._sock.dup()
        try:
            self._server = await asyncio.get_running_loop().create_server(
                lambda: Connection(self).client, sock=dup, backlog=LISTEN_BACKLOG)
        except BaseException:
            dup.close()
            raise

    async def set_accepting(self, accepting: bool) -> None:
        """Stop or resume accepting new connections; live ones are not touched. A disabled proxy
        only remembers the choice and applies it when enabled."""
        if accepting == self.accepting:
            return
        self.accepting = accepting
        if not self.enabled or self._sock is None:
            return
        if accepting:
            parked, self._parked = self._parked, None
            if parked is not None:
                parked.release()
            await self._serve()
        else:
            server, self._server = self._server, None
            if server is not None:
                server.close()
            await asyncio.sleep(0)  # let the loop drop its reader on the listening socket
            self._parked = await ParkedQueue.fill(self._sock)

    def _close_listener(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        parked, self._parked = self._parked, None
        if parked is not None:
            parked.release()
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    async def stop(self) -> None:
        """Close the listener and every connection (clients see the close at once)."""
        if not self.enabled:
            return
        self.enabled = False
        self._close_listener()
        for conn in list(self._connections):
            conn.abort()
        await asyncio.sleep(0)  # let the loop release the listening socket before we report back

    async def differs(self, *, listen: str, upstream: str) -> bool:
        """Whether `listen`/`upstream` describe another proxy than this one (Toxiproxy 2.12 compares
        resolved listen addresses, so "localhost:1234" equals "127.0.0.1:1234"; port 0 always differs)."""
        return self.listen != await normalize_listen(listen) or self.upstream != upstream

    async def update(self, *, listen: str, upstream: str, enabled: bool) -> None:
        """Toxiproxy's Proxy.Update: restart on a new address if it changed, then apply `enabled`.

        Unlike Toxiproxy, a refused change is not kept half done: if the new listener cannot bind
        (500), the old address and upstream come back, and the old listener if it was enabled (its
        live connections are gone either way, as in Go)."""
        before = (self.listen, self.upstream, self.enabled)
        if await self.differs(listen=listen, upstream=upstream):
            await self.stop()
            self.listen = listen
            self.upstream = upstream
        try:
            if enabled and not self.enabled:
                await self.start()
            elif not enabled and self.enabled:
                await self.stop()
        except ToxiproxyApiError:
            await self.restore(*before)
            raise

    async def restore(self, listen: str, upstream: str, enabled: bool) -> None:
        """Back to an earlier `listen`/`upstream`/`enabled` after a failed change (best effort: if
        even the old address cannot bind again, the proxy stays disabled and says so in `enabled`)."""
        await self.stop()
        self.listen, self.upstream = listen, upstream
        if enabled:
            with contextlib.suppress(ToxiproxyApiError):
                await self.start()

    # --- ConnectionOwner --------------------------------------------------------------------------

    def connection_opened(self, conn: Connection) -> None:
        self._connections.add(conn)

    def connection_closed(self, conn: Connection) -> None:
        self._connections.discard(conn)
        if conn.links is not None:
            for link in conn.links:
                self._traffic.fold(link)

    def live_links(self) -> list[Link]:
        return [link for conn in self._connections if conn.links for link in conn.links]
