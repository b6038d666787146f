"""ProxyServer: the embedded Toxiproxy-compatible server, in-process (`EmbeddedProxy`) or standalone.

The server owns the proxies, the API listener, the byte counters and the one `random.Random` every
toxicity draw, jitter and slice comes from, so `seed` makes a run replayable (Toxiproxy's `-seed`
is ignored since 2.9, issue #274). It runs on uvloop when available.

It also owns the lease book and the task that reverts expired leases (chaos extensions, see
chaos/proxy/README.md); `extensions=False` turns them off so the server answers exactly as
Toxiproxy 2.12 does, which is how the client's fallbacks are tested.

Secure by default: the API and every proxy listen on loopback only, and proxies on no privileged
port. `allow_remote=True` (`chaos proxy --allow-remote`) lifts both loopback rules at once, since
an API on a network can create proxies anyway; it is logged as a warning because an
unauthenticated Toxiproxy API on a network is an open relay. Slow clients are bounded by
`_api_guard` (head deadline, connection cap).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from chaos.errors import ChaosError
from chaos.proxy._api_guard import GuardedSite, ParserErrorLogger
from chaos.proxy.addresses import MAX_PORT, ListenPolicy, is_loopback_host
from chaos.proxy.api import build_app
from chaos.proxy.collection import ProxyCollection
from chaos.proxy.leases import LeaseBook
from chaos.proxy.metrics import Traffic

__all__ = ["EmbeddedProxy", "ProxyServer", "new_event_loop", "serve"]

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 2.0  # in-flight API calls get this long when the server stops
HEADER_TIMEOUT_S = 15.0  # Go's ReadTimeout in Toxiproxy: a request head must arrive within this
MAX_API_CONNECTIONS = 256  # far above what test runners open (one or two per worker)
KEEPALIVE_S = 60.0  # Go's IdleTimeout in Toxiproxy
LINGER_S = 2.0  # reading what is left of a refused body before closing (aiohttp's default 10 s)
OPEN_RELAY_WARNING = ("an unauthenticated Toxiproxy API on a network is an open relay: anyone who reaches "
                      "it can make this machine connect anywhere its network reaches")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop if installed (several times faster for relaying bytes), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class ProxyServer:
    """The proxies and the HTTP API on `host:port` (port 0 picks a free one; see `.port` after start)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8474, seed: int | None = None,
                 metrics: bool = False, extensions: bool = True, allow_remote: bool = False,
                 allow_privileged_ports: bool = False, max_api_connections: int = MAX_API_CONNECTIONS,
                 header_timeout_s: float = HEADER_TIMEOUT_S) -> None:
        if not 0 <= port <= MAX_PORT:
            raise ChaosError(f"API port {port}: expected a port number from 0 to {MAX_PORT} (0 picks a free one)")
        self.host = host
        self.port = port
        self.seed = seed
        self.metrics = metrics
        self.allow_remote = allow_remote
        self.max_api_connections = max_api_connections
        self.header_timeout_s = header_timeout_s
        self.rng = random.Random(seed)
        self.traffic = Traffic()
        self.policy = ListenPolicy(allow_remote=allow_remote, allow_privileged_ports=allow_privileged_ports)
        self.proxies = ProxyCollection(rng=self.rng, traffic=self.traffic, policy=self.policy)
        self.leases: LeaseBook | None = LeaseBook(self.proxies) if extensions else None
        self._runner: web.AppRunner | None = None
        self._lease_task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind the API; raises ChaosError naming the address if it cannot, or if it is not loopback
        and remote access was not allowed."""
        if not self.allow_remote and not is_loopback_host(self.host):
            raise ChaosError(f"API host {self.host} is not a loopback address, and {OPEN_RELAY_WARNING}; "
                             "allow it explicitly with --allow-remote (allow_remote=True)")
        app = build_app(self.proxies, self.traffic, metrics_enabled=self.metrics, leases=self.leases)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_S,
                               lingering_time=LINGER_S, shutdown_timeout=SHUTDOWN_GRACE_S,
                               logger=ParserErrorLogger(logging.getLogger("chaos.proxy.api"), {}))
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            await runner.cleanup()
            raise ChaosError(f"proxy API cannot listen on {self.host}:{self.port}: {exc.strerror}") from exc
        self.port = sock.getsockname()[1]
        site = GuardedSite(runner, sock, max_connections=self.max_api_connections,
                           header_timeout_s=self.header_timeout_s)
        await site.start()
        self._runner = runner
        if self.leases is not None:
            self._lease_task = asyncio.get_running_loop().create_task(self.leases.run(), name="chaos-leases")
        log.info("Toxiproxy-compatible API on %s (seed %s, metrics %s)", self.url, self.seed,
                 "on" if self.metrics else "off")
        if self.allow_remote:
            log.warning("remote access allowed (--allow-remote): the API on %s and the proxies may listen "
                        "on network interfaces; %s", self.url, OPEN_RELAY_WARNING)

    async def aclose(self) -> None:
        """Stop the API, then every proxy listener and connection. Safe to call twice."""
        runner, self._runner = self._runner, None
        task, self._lease_task = self._lease_task, None
        try:
            if task is not None:
                task.cancel()
                await asyncio.wait((task,))
            if runner is not None:
                await runner.cleanup()
        finally:
            await self.proxies.aclose()


class EmbeddedProxy:
    """A ProxyServer in a background thread with its own event loop, for tests and scripts.

        with EmbeddedProxy(host="127.0.0.1", port=0) as srv:
            ToxiproxyClient(srv.url).create_proxy("redis", upstream="127.0.0.1:6379")

    Runs in its own thread so that blocking test code (sockets, sync clients) can talk to it.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int | None = None,
                 metrics: bool = False, extensions: bool = True, allow_remote: bool = False,
                 allow_privileged_ports: bool = False, max_api_connections: int = MAX_API_CONNECTIONS,
                 header_timeout_s: float = HEADER_TIMEOUT_S, start_timeout_s: float = 10.0) -> None:
        self.server = ProxyServer(host=host, port=port, seed=seed, metrics=metrics, extensions=extensions,
                                  allow_remote=allow_remote, allow_privileged_ports=allow_privileged_ports,
                                  max_api_connections=max_api_connections, header_timeout_s=header_timeout_s)
        self._start_timeout_s = start_timeout_s
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> EmbeddedProxy:
        if self._thread is not None:
            raise RuntimeError("EmbeddedProxy.start(): already started; use a new EmbeddedProxy")
        self._thread = threading.Thread(target=self._run, name="chaos-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout_s):
            raise ChaosError(f"embedded proxy did not start within {self._start_timeout_s:g} s")
        if self._error is not None:
            raise self._error
        return self

    def call(self, fn: Callable[[ProxyServer], Coroutine[Any, Any, Any]], timeout_s: float = 10.0) -> Any:
        """Run `fn(server)` on the server's loop and return its result (for tests that peek inside)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(fn(self.server), self._loop).result(timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Close every listener and connection and join the thread. Safe to call twice."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None or not thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout_s)
        if thread.is_alive():
            raise ChaosError(f"embedded proxy did not stop within {timeout_s:g} s")

    def __enter__(self) -> EmbeddedProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.server.aclose()


async def serve(server: ProxyServer, *, ready_file: Path | None = None,
                on_ready: Callable[[ProxyServer], None] | None = None) -> int:
    """Run `server` until SIGTERM or SIGINT, then close every listener and connection; returns 0.

    Once the API listens, `ready_file` receives its "host:port", written atomically (so a parent
    process can wait for the file instead of polling the port), and `on_ready` is called (the CLI
    prints the address there)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        if ready_file is not None:
            _write_atomically(ready_file, f"{server.host}:{server.port}")
        if on_ready is not None:
            on_ready(server)
        await stop.wait()
    finally:
        await server.aclose()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
