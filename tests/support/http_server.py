"""A small real HTTP server (aiohttp, 127.0.0.1:0, its own thread and loop) for the observe tests.

Routes: /ok (small JSON), /slow?s=0.2, /hang (never answers until the server stops), /gated
(accepts and answers nothing while the gate is closed, `close_gate()` / `open_gate()`),
/status/{code}, /big (JSON over the body limit), /list (a JSON array), /text, /peer (the client's
port, to tell connections apart), POST /echo. Every arrival is logged with its monotonic instant.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Arrival:
    path: str
    at_ns: int
    peer_port: int


@dataclass
class ObservedServer:
    url: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _release: asyncio.Event | None = None
    _gate: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    def arrivals_for(self, path: str) -> list[Arrival]:
        return [a for a in list(self.arrivals) if a.path == path]

    def clear(self) -> None:
        self.arrivals.clear()
        self.open_gate()

    def close_gate(self) -> None:
        """From now on /gated accepts requests and answers none (until `open_gate`)."""
        self._set_gate(False)

    def open_gate(self) -> None:
        """/gated answers what it holds, and every later request at once."""
        self._set_gate(True)

    def _set_gate(self, is_open: bool) -> None:
        loop, gate = self._loop, self._gate
        assert loop is not None
        assert gate is not None
        done = threading.Event()

        def flip() -> None:
            if is_open:
                gate.set()
            else:
                gate.clear()
            done.set()

        loop.call_soon_threadsafe(flip)
        assert done.wait(5.0), "the test server's loop did not answer within 5 s"


def _app(server: ObservedServer, release: asyncio.Event, gate: asyncio.Event) -> web.Application:
    async def log(request: web.Request) -> None:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        server.arrivals.append(Arrival(request.path, time.monotonic_ns(), peer[1] if peer else -1))

    async def ok(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response({"ok": True, "degraded": False, "n": 3, "ratio": 0.5, "none": None,
                                  "nested": {"a": 1}, "items": [1, 2], "text": "x" * 500})

    async def slow(request: web.Request) -> web.Response:
        await log(request)
        await asyncio.sleep(float(request.query.get("s", "0.2")))
        return web.json_response({"ok": True})

    async def hang(request: web.Request) -> web.Response:
        await log(request)
        await release.wait()
        return web.json_response({"ok": False})

    async def gated(request: web.Request) -> web.Response:
        await log(request)
        await gate.wait()
        return web.json_response({"ok": True})

    async def status(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response({"status": int(request.match_info["code"])},
                                 status=int(request.match_info["code"]))

    async def big(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response({"blob": "y" * 10_000, "flag": True})

    async def array(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response([1, 2, 3])

    async def text(request: web.Request) -> web.Response:
        await log(request)
        return web.Response(text='{"looks": "like json"}')

    async def peer(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response({"port": server.arrivals[-1].peer_port})

    async def echo(request: web.Request) -> web.Response:
        await log(request)
        return web.json_response(await request.json())

    app = web.Application()
    app.add_routes([
        web.get("/ok", ok), web.get("/slow", slow), web.get("/hang", hang), web.get("/gated", gated),
        web.get("/status/{code}", status), web.get("/big", big), web.get("/list", array),
        web.get("/text", text), web.get("/peer", peer), web.post("/echo", echo),
    ])
    return app


def start_server(timeout_s: float = 10.0) -> ObservedServer:
    server = ObservedServer()
    ready = threading.Event()
    failure: list[BaseException] = []

    async def setup() -> None:
        server._release = asyncio.Event()
        server._gate = asyncio.Event()
        server._gate.set()
        server._runner = web.AppRunner(_app(server, server._release, server._gate), handler_cancellation=True,
                                       shutdown_timeout=1.0)
        await server._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(server._runner, sock)
        await site.start()
        server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def run() -> None:
        loop = asyncio.new_event_loop()
        server._loop = loop
        try:
            loop.run_until_complete(setup())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    server._thread = threading.Thread(target=run, name="observe-test-server", daemon=True)
    server._thread.start()
    if not ready.wait(timeout_s):
        raise TimeoutError(f"test server did not start within {timeout_s} s")
    if failure:
        raise failure[0]
    return server


def stop_server(server: ObservedServer, timeout_s: float = 10.0) -> None:
    loop, runner, release = server._loop, server._runner, server._release
    assert loop is not None
    assert runner is not None
    assert release is not None

    async def shutdown() -> None:
        release.set()
        if server._gate is not None:
            server._gate.set()
        await runner.cleanup()

    asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout_s)
    loop.call_soon_threadsafe(loop.stop)
    assert server._thread is not None
    server._thread.join(timeout_s)
