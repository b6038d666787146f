"""The fake external API as a real aiohttp server: API calls answered per the current behaviour,
plus the control routes under `/__chaos/` that the suite drives it with.

The baseline is how the real API answers: the stubs (`chaos.upstream.stubs`, set with
`PUT /__chaos/stubs` or `--stubs FILE`, kept by `POST /__chaos/reset`). The behaviour's faults
act on top of them, in this order for one call: `latency_ms` (every call), then a reset
connection, a hang, the request-level failure rules and a non-2xx `status`, each of which answers
`{"error": "injected by chaos: S", "status": S}` (plus Retry-After) instead of the stub. Otherwise
the first matching stub answers after its `delay_ms`, exactly as declared (a 2xx `status` of the
behaviour does not override it, and no Retry-After is added); with stubs and none matching, 404
`{"error": "no stub for GET /path"}`. Without stubs every call gets `{"ok": ..., "path": ..., "n":
...}` with the behaviour's or the failure's status, as before stubs existed. The request log
records each call's query string and the index of the stub that answered (null otherwise).

aiohttp because a handler can reach its connection's transport: a hung call can be held and then
closed without an answer, and a reset can be a real RST (SO_LINGER 0), which an ASGI app cannot do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from chaos.upstream.behaviour import Behaviour, InvalidBehaviour
from chaos.upstream.decision import Action, CallContext, call_draw, rule_decision
from chaos.upstream.request_log import RequestLog
from chaos.upstream.stubs import MAX_BODY_BYTES, InvalidStub, Stub, match_index, stubs_from_wire

__all__ = ["CONTROL_PREFIX", "UpstreamServer", "serve"]

CONTROL_PREFIX = "/__chaos/"
_BODYLESS = (204, 304)
# How long stopping waits for handlers still running (hung calls are released first, so this is
# only a backstop for a call sleeping through a long `latency_ms`).
_STOP_GRACE_S = 1.0
# Control bodies may carry many stubs of up to MAX_BODY_BYTES each (aiohttp's default is 1 MiB).
_MAX_CONTROL_BODY = 32 * MAX_BODY_BYTES

log = logging.getLogger("chaos.upstream")


@dataclass(slots=True)
class _Epoch:
    """One behaviour in force: its call counter and the event that releases its hung calls."""

    behaviour: Behaviour
    set_at: float = field(default_factory=time.monotonic)
    calls: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)


class _State:
    """Everything the handlers share; lives on one event loop, so no locking."""

    def __init__(self, seed: int | None = None, stubs: tuple[Stub, ...] = ()) -> None:
        self.epoch = _Epoch(behaviour=Behaviour())
        self.stubs = stubs  # the baseline: not a fault, so `reset` keeps them
        self.seq = 0
        self.log = RequestLog()
        self.start_seed = seed
        self.seed = seed  # of the fraction draws, unless the behaviour has its own
        self.entropy = random.Random()  # only when no seed is set at all: not replayable, by choice

    def draw(self, behaviour: Behaviour, index: int) -> float:
        if not behaviour.fail_fraction:
            return 1.0  # no draw needed: a behaviour without fractions never consumes entropy
        seed = behaviour.seed if behaviour.seed is not None else self.seed
        return call_draw(seed, index) if seed is not None else self.entropy.random()

    def set_behaviour(self, behaviour: Behaviour) -> None:
        self.epoch.released.set()
        self.epoch = _Epoch(behaviour=behaviour)

    def reset(self) -> None:
        self.set_behaviour(Behaviour())
        self.seq = 0
        self.log.clear()
        self.seed = self.start_seed


_STATE_KEY = web.AppKey("state", _State)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status)


def _drop_connection(request: web.Request, *, rst: bool) -> None:
    """Close the call's connection without answering: FIN, or RST when `rst`."""
    transport = request.transport
    if transport is None:
        return
    if rst:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # l_onoff=1, l_linger=0: close() discards unsent data and sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


class _Dropped(web.HTTPException):
    """Raised after the connection was dropped so aiohttp has nothing left to write."""

    status_code = 499   # never sent: the transport is already closed


async def _api_call(request: web.Request) -> web.StreamResponse:
    state: _State = request.app[_STATE_KEY]
    state.seq += 1
    seq = state.seq
    epoch = state.epoch
    epoch.calls += 1
    call = CallContext(index_in_behaviour=epoch.calls, seq=seq,
                       elapsed_in_behaviour_s=time.monotonic() - epoch.set_at,
                       draw=state.draw(epoch.behaviour, epoch.calls))
    state.log.arrive(seq=seq, method=request.method, path=request.path, query=request.query_string)
    behaviour = epoch.behaviour
    decision = rule_decision(behaviour, call)
    if behaviour.latency_ms:
        await asyncio.sleep(behaviour.latency_ms / 1000)
    if decision is not None and decision.action is Action.RESET:
        _drop_connection(request, rst=True)
        raise _Dropped()
    if decision is not None and decision.action is Action.HANG:
        await epoch.released.wait()
        _drop_connection(request, rst=False)
        raise _Dropped()
    status = behaviour.status if decision is None or decision.status is None else decision.status
    index = None
    if not state.stubs:
        response = _answer(status, behaviour, {"ok": 200 <= status < 300, "path": request.path, "n": seq})
    elif decision is not None or not 200 <= status < 300:
        response = _answer(status, behaviour, {"error": f"injected by chaos: {status}", "status": status})
    else:
        index = match_index(state.stubs, request.method, request.path)
        if index is None:
            response = _error(404, f"no stub for {request.method} {request.path}")
        else:
            response = await _stub_answer(state.stubs[index])
    state.log.answered(seq, response.status, stub=index)
    return response


def _answer(status: int, behaviour: Behaviour, body: dict[str, object]) -> web.Response:
    """The behaviour's own answer: `status`, Retry-After when not 2xx, `body` unless bodyless."""
    headers = {}
    if behaviour.retry_after_s is not None and not 200 <= status < 300:
        headers["Retry-After"] = f"{behaviour.retry_after_s:g}"
    if status in _BODYLESS:
        return web.Response(status=status, headers=headers)
    return web.json_response(body, status=status, headers=headers)


async def _stub_answer(stub: Stub) -> web.Response:
    """What the real API would say: the stub's status, headers and body, after its delay."""
    if stub.delay_ms:
        await asyncio.sleep(stub.delay_ms / 1000)
    headers = dict(stub.headers)
    if stub.media_type is not None:
        headers["Content-Type"] = stub.media_type
    return web.Response(status=stub.status, headers=headers, body=stub.body or None)


async def _put_behaviour(request: web.Request, state: _State) -> web.Response:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, f"body: not valid JSON ({exc})")
    try:
        behaviour = Behaviour.from_wire(data)
    except InvalidBehaviour as exc:
        return _error(400, str(exc))
    except TypeError as exc:   # e.g. a field given twice: not reachable from JSON, kept as a guard
        return _error(400, f"behaviour: {exc}")
    state.set_behaviour(behaviour)
    log.info("behaviour set: %s", behaviour)
    return web.json_response({"behaviour": behaviour.to_wire()})


async def _get_behaviour(_request: web.Request, state: _State) -> web.Response:
    return web.json_response({"behaviour": state.epoch.behaviour.to_wire()})


async def _reset(_request: web.Request, state: _State) -> web.Response:
    state.reset()
    log.info("reset")
    return web.json_response({"reset": True})


async def _get_log(request: web.Request, state: _State) -> web.Response:
    raw = request.query.get("after_seq", "0")
    try:
        after_seq = int(raw)
    except ValueError:
        return _error(400, f"after_seq: expected an integer, got {raw!r}")
    entries = [e.to_wire() for e in state.log.entries(after_seq=after_seq)]
    return web.json_response({"requests": entries, "dropped": state.log.dropped})


async def _put_seed(request: web.Request, state: _State) -> web.Response:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, f"body: not valid JSON ({exc})")
    if not isinstance(data, dict) or "seed" not in data:
        return _error(400, 'body: expected {"seed": <integer or null>}')
    seed = data["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return _error(400, f"seed: expected an integer or null, got {seed!r}")
    state.seed = seed
    log.info("seed set: %s", seed)
    return web.json_response({"seed": seed})


async def _put_stubs(request: web.Request, state: _State) -> web.Response:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, f"body: not valid JSON ({exc})")
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"body: larger than {_MAX_CONTROL_BODY} bytes (stubs are served from memory)")
    try:
        stubs = stubs_from_wire(data)
    except InvalidStub as exc:
        return _error(400, str(exc))
    state.stubs = stubs
    log.info("stubs set: %d route(s)", len(stubs))
    return _stubs_body(state)


async def _get_stubs(_request: web.Request, state: _State) -> web.Response:
    return _stubs_body(state)


async def _clear_stubs(_request: web.Request, state: _State) -> web.Response:
    cleared = len(state.stubs)
    state.stubs = ()
    log.info("stubs cleared")
    return web.json_response({"cleared": cleared})


def _stubs_body(state: _State) -> web.Response:
    return web.json_response({"stubs": [stub.to_wire() for stub in state.stubs]})


async def _get_seed(_request: web.Request, state: _State) -> web.Response:
    return web.json_response({"seed": state.seed})


async def _clear_log(_request: web.Request, state: _State) -> web.Response:
    cleared = len(state.log.entries())
    state.log.clear()
    return web.json_response({"cleared": cleared})


_ControlHandler = Callable[[web.Request, _State], Awaitable[web.Response]]

# Every control route in one table: (path under the prefix, method) -> handler.
_CONTROL_ROUTES: dict[tuple[str, str], _ControlHandler] = {
    ("behaviour", "PUT"): _put_behaviour,
    ("behaviour", "GET"): _get_behaviour,
    ("reset", "POST"): _reset,
    ("log", "GET"): _get_log,
    ("log", "DELETE"): _clear_log,
    ("seed", "PUT"): _put_seed,
    ("seed", "GET"): _get_seed,
    ("stubs", "PUT"): _put_stubs,
    ("stubs", "GET"): _get_stubs,
    ("stubs", "DELETE"): _clear_stubs,
}


async def _control(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    handler = _CONTROL_ROUTES.get((name, request.method))
    if handler is None:
        allowed = sorted(m for (n, m) in _CONTROL_ROUTES if n == name)
        if allowed:
            return _error(405, f"{request.method} {request.path}: method not allowed"
                               f" (use {', '.join(allowed)})")
        known = sorted({CONTROL_PREFIX + n for (n, _m) in _CONTROL_ROUTES})
        return _error(404, f"{request.path}: no such control route (known: {', '.join(known)})")
    return await handler(request, request.app[_STATE_KEY])


def build_app(seed: int | None = None, stubs: Sequence[Stub] = ()) -> web.Application:
    """The aiohttp application: control routes first, then every other path is an API call."""
    app = web.Application(client_max_size=_MAX_CONTROL_BODY)
    app[_STATE_KEY] = _State(seed, tuple(stubs))
    app.router.add_route("*", CONTROL_PREFIX + "{name:.*}", _control)
    app.router.add_route("*", "/{tail:.*}", _api_call)
    return app


class UpstreamServer:
    """The server on one event loop: `await start()`, then `host`/`port`/`url`, then `await stop()`."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int | None = None,
                 stubs: Sequence[Stub] = ()) -> None:
        self._host = host
        self._port = port
        self._app = build_app(seed, stubs)
        # handler_cancellation: a client that gives up (e.g. the SUT's timeout) cancels its call,
        # so a hung or sleeping handler does not outlive it and its log status stays None.
        self._runner = web.AppRunner(self._app, handler_cancellation=True, access_log=None,
                                     shutdown_timeout=_STOP_GRACE_S)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.host, self.port = str(host), int(port)
        log.info("fake external API listening on %s", self.url)

    async def stop(self) -> None:
        self._app[_STATE_KEY].epoch.released.set()   # let hung calls close before the runner waits
        await self._runner.cleanup()


def _write_ready_file(path: Path, host: str, port: int) -> None:
    """Write `host:port` atomically: readers see either nothing or the whole address."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{host}:{port}")
    os.replace(tmp, path)


async def serve(host: str, port: int, *, stop: asyncio.Event, ready_file: Path | None = None,
                seed: int | None = None, stubs: Sequence[Stub] = ()) -> None:
    """Run until `stop` is set; once listening, write `host:port` to `ready_file` (if given)."""
    server = UpstreamServer(host=host, port=port, seed=seed, stubs=stubs)
    await server.start()
    try:
        if ready_file is not None:
            _write_ready_file(ready_file, server.host, server.port)
        await stop.wait()
    finally:
        await server.stop()
