"""What keeps slow or hostile clients from holding the API: a header deadline, a connection cap,
and aiohttp's parser errors logged as one DEBUG line.

aiohttp closes a connection only after its keep-alive timeout (60 s) when a request head stalls
half way, and accepts any number of connections. Go's server, which Toxiproxy runs, gives a request
15 s (ReadTimeout). Here:
- a request head must be complete within `header_timeout_s` of its first byte (of the connection,
  for the first request), else the connection is closed; an idle keep-alive connection is aiohttp's
  keep-alive timeout's business. The body has its own deadline in the handlers (api.py, 408);
- at most `max_connections` API connections are open at once; one more is answered with a 503 and
  closed, so the slots that stalled clients hold run out before memory or descriptors do;
- a malformed request (aiohttp answers 400 itself) is logged as one DEBUG line, not an ERROR with
  a traceback: a fuzz run logged 563 tracebacks for 563 bad requests.

`Guard` wraps aiohttp's protocol object and delegates every callback to it; the API's middleware
tells it when a head was parsed (`head_received`) and when the answer is done (`request_done`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["BUSY_RESPONSE", "Guard", "GuardedSite", "ParserErrorLogger", "guard_of"]

log = logging.getLogger("chaos.proxy.api")
_DETAIL_MAX_CHARS = 200  # of aiohttp's message, which can quote a whole bad header line

BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Length: 34\r\nConnection: close\r\n\r\ntoo many connections to the API\r\n\r\n")


class Guard(asyncio.Protocol):
    """One API connection: aiohttp's handler inside, our head deadline around it."""

    def __init__(self, inner: asyncio.Protocol, live: set[Guard], header_timeout_s: float) -> None:
        self._inner = inner
        self._live = live
        self._timeout_s = header_timeout_s
        self._transport: asyncio.BaseTransport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._in_request = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._live.add(self)
        self._arm()
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._live.discard(self)
        self._disarm()
        self._transport = None
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._in_request and self._timer is None:
            self._arm()  # the first bytes of the next request: its head is now on the clock
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def head_received(self) -> None:
        self._in_request = True
        self._disarm()

    def request_done(self) -> None:
        self._in_request = False

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(self._timeout_s, self._expire)

    def _disarm(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _expire(self) -> None:
        self._timer = None
        if self._transport is not None and not self._in_request:
            log.debug("API connection closed: no complete request head within %g s", self._timeout_s)
            self._transport.close()


def guard_of(request: web.BaseRequest) -> Guard | None:
    """The Guard of `request`'s connection (None when the app is served some other way, e.g. in
    aiohttp's test client)."""
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, Guard) else None


class _Busy(asyncio.Protocol):
    """A connection over the cap: one 503, then closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        log.debug("API connection refused with 503: the connection cap is reached")
        cast(asyncio.WriteTransport, transport).write(BUSY_RESPONSE)  # uvloop's are no asyncio.Transport
        transport.close()


class GuardedSite(web.SockSite):
    """aiohttp's SockSite, with each connection wrapped in a `Guard` and their number capped."""

    def __init__(self, runner: web.BaseRunner, sock: Any, *, max_connections: int, header_timeout_s: float) -> None:
        super().__init__(runner, sock)
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.live: set[Guard] = set()

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site; SockSite.start would serve unguarded
        server = self._runner.server
        assert server is not None

        def factory() -> asyncio.Protocol:
            if len(self.live) >= self.max_connections:
                return _Busy()
            return Guard(server(), self.live, self.header_timeout_s)

        self._server = await asyncio.get_running_loop().create_server(factory, sock=self._sock,
                                                                      backlog=self._backlog)


class ParserErrorLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The logger aiohttp's request handler writes to: its parser errors (a client's malformed
    request, already answered 400) become one DEBUG line; anything else stays an ERROR."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self._malformed(exc_info)
        else:
            self.logger.error(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, exc_info: Any = None, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):  # aiohttp's own choice for TLS on a plain port
            self._malformed(exc_info)
        else:
            self.logger.debug(msg, *args, exc_info=exc_info, **kwargs)

    def _malformed(self, exc: HttpProcessingError) -> None:
        what = " ".join(str(exc.message).split())[:_DETAIL_MAX_CHARS] or type(exc).__name__
        self.logger.debug("API: malformed request answered %s: %s", exc.code, what)
