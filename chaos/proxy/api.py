"""The Toxiproxy 2.x HTTP API on aiohttp: every route in one table, every error through one renderer.

Wire details kept from Toxiproxy 2.12, which clients depend on: status codes (proxy create 201,
toxic create 200, deletes and reset 204), compact JSON bodies in Go's field order, errors as
`{"error": ..., "status": N}` + newline under `text/plain; charset=utf-8` with
`X-Content-Type-Options: nosniff` (Go's http.Error), the populate error as JSON with `proxies`,
`X-Toxiproxy-Request-Id` on responses, 403 "User agent not allowed" for `Mozilla/` user agents on
known routes, mux's `404 page not found` for unknown paths and an empty 405 for a wrong method, a
25 s handler deadline answered with Go's 503 HTML page, and /metrics only when enabled (else 404).

Divergences, all answering 4xx where Toxiproxy crashes, stores nonsense or answers 500 (see
chaos/proxy/README.md, "Hostile input"): negative, non-integer or beyond-int64 toxic attributes,
unknown attribute names, slicer average_size <= 0 or size_variation > average_size, toxicity
outside [0, 1]; names outside their alphabet (`names`), bodies past their limits (`body`), listen
addresses that are malformed or not allowed (`addresses`). A request body must arrive within
BODY_TIMEOUT_S (408). Error messages name what they are about ("proxy not found: redis", the known
types after "invalid toxic type"). The request id is also set on 404/405 answers. Every change
is logged at INFO.

Chaos extensions (chaos/proxy/README.md), absent when the app is built without a lease book (a
server behaving exactly like Toxiproxy, which ignores the extra keys): `lease_s` on toxic create
and update and on proxy updates that disable or stop accepting, `GET /leases`, `POST /leases/{id}`
(renew), `accept` and `seed` on proxy updates.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from chaos.errors import ToxiproxyApiError
from chaos.proxy import codec
from chaos.proxy._api_guard import guard_of
from chaos.proxy.body import MAX_BODY_BYTES
from chaos.proxy.collection import ProxyCollection
from chaos.proxy.leases import LeaseBook, LeaseKind
from chaos.proxy.metrics import CONTENT_TYPE, LIVE_HEADER, LIVE_VALUE, Traffic
from chaos.proxy.proxy import Proxy
from chaos.proxy.toxic_collection import ToxicEntry

__all__ = ["EXTENSION_ROUTES", "ROUTES", "TOXIPROXY_VERSION", "build_app", "render_error"]

log = logging.getLogger(__name__)

TOXIPROXY_VERSION = "2.12.0"  # the wire behaviour we match; clients gate features on it
HANDLER_TIMEOUT_S = 25.0  # Toxiproxy's http.TimeoutHandler
BODY_TIMEOUT_S = 15.0  # Toxiproxy's ReadTimeout: a body still arriving after this is a 408
_TIMEOUT_BODY = "<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"

COLLECTION = web.AppKey("collection", ProxyCollection)
TRAFFIC = web.AppKey("traffic", Traffic)
BACKGROUND = web.AppKey("background", set[asyncio.Task[web.StreamResponse]])
LEASES = web.AppKey("leases", LeaseBook)

Handler = Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]
NextHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]  # what a middleware is given


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str


def render_error(error: ToxiproxyApiError) -> web.Response:
    """Every API error as Toxiproxy writes it: JSON text through Go's http.Error."""
    body = codec.dumps({"error": error.message, "status": error.status}) + b"\n"
    response = web.Response(status=error.status, body=body, headers={
        "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"})
    if error.status in (408, 413):
        response.force_close()  # the body was not read to its end: the connection cannot carry another request
    return response


def _json(value: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=codec.dumps(value), content_type="application/json")


def _collection(request: web.Request) -> ProxyCollection:
    return request.app[COLLECTION]


def _leases(request: web.Request) -> LeaseBook | None:
    """The lease book, or None when the server plays plain Toxiproxy (extensions off)."""
    return request.app.get(LEASES)


async def _body(request: web.Request) -> bytes:
    """The request body, within MAX_BODY_BYTES (413) and BODY_TIMEOUT_S (408), so a client that
    stalls mid-body frees its handler instead of holding it until the connection dies."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ToxiproxyApiError(status=413, message=f"bad request body: larger than {MAX_BODY_BYTES} bytes") from exc
    except TimeoutError as exc:
        raise ToxiproxyApiError(status=408, message=f"bad request body: not received within "
                                                    f"{BODY_TIMEOUT_S:g} s") from exc


def _describe(proxy: Proxy) -> str:
    state = "enabled" if proxy.enabled else "disabled"
    accepting = "" if proxy.accepting else ", not accepting"
    return f"listen {proxy.listen}, upstream {proxy.upstream}, {state}{accepting}"


def _toxic_line(entry: ToxicEntry) -> str:
    attributes = ", ".join(f"{k}={v}" for k, v in entry.toxic.attributes().items()) or "no attributes"
    return f"{entry.type} {entry.stream}, toxicity {entry.toxicity:g}, {attributes}"


# --- handlers (Toxiproxy's names) -------------------------------------------------------------


async def reset_state(request: web.Request) -> web.StreamResponse:
    leases = _leases(request)
    if leases is not None:
        leases.clear()
    failed = await _collection(request).reset()  # each failure already logged as a warning
    log.info("reset: every proxy enabled, every toxic removed%s",
             f" ({len(failed)} could not listen again)" if failed else "")
    return web.Response(status=204)


async def proxy_index(request: web.Request) -> web.StreamResponse:
    leases = _leases(request)
    return _json({p.name: codec.proxy_json(p, leases) for p in _collection(request).all()})


async def proxy_create(request: web.Request) -> web.StreamResponse:
    spec = codec.proxy_create_spec(await _body(request))
    proxy = await _collection(request).add(spec)
    log.info("proxy %s created: %s", proxy.name, _describe(proxy))
    return _json(codec.proxy_json(proxy, _leases(request)), status=201)


async def populate(request: web.Request) -> web.StreamResponse:
    collection = _collection(request)
    proxies: list[Proxy]
    error: ToxiproxyApiError | None
    try:
        specs = codec.populate_specs(await _body(request))
        proxies, error = await collection.populate(specs)
    except ToxiproxyApiError as exc:
        proxies, error = [], exc
    for proxy in proxies:
        log.info("populate: proxy %s: %s", proxy.name, _describe(proxy))
    if error is not None:
        log.info("populate stopped: %s", error.message)
    body: dict[str, object] = {}
    if error is not None:
        body = {"error": error.message, "status": error.status}
    body["proxies"] = [codec.proxy_json(p) for p in proxies] or None  # Go marshals an empty slice as null
    return _json(body, status=error.status if error is not None else 201)


async def proxy_show(request: web.Request) -> web.StreamResponse:
    return _json(codec.proxy_json(_collection(request).get(request.match_info["proxy"]), _leases(request)))


async def proxy_update(request: web.Request) -> web.StreamResponse:
    collection = _collection(request)
    proxy = collection.get(request.match_info["proxy"])
    body = await _body(request)
    spec = codec.proxy_update_spec(body, proxy)
    leases = _leases(request)
    ext = codec.proxy_extensions(body) if leases is not None else codec.ProxyExtensions()
    await collection.update(spec)
    if ext.accept is not None:
        await collection.set_accepting(proxy, ext.accept)
    if ext.seed is not None:
        proxy.rng.seed(ext.seed)  # in place: live links share this generator
    if leases is not None:
        if proxy.enabled:
            leases.drop(LeaseKind.PROXY_DISABLED, proxy)
        if proxy.accepting:
            leases.drop(LeaseKind.NOT_ACCEPTING, proxy)
        if ext.lease_s is not None:
            if ext.disables:
                leases.grant(LeaseKind.PROXY_DISABLED, proxy, ext.lease_s)
            if ext.accept is False:
                leases.grant(LeaseKind.NOT_ACCEPTING, proxy, ext.lease_s)
    log.info("proxy %s updated: %s%s", proxy.name, _describe(proxy),
             f", lease {ext.lease_s:g} s" if leases is not None and ext.lease_s is not None else "")
    return _json(codec.proxy_json(proxy, leases))


async def proxy_delete(request: web.Request) -> web.StreamResponse:
    name = request.match_info["proxy"]
    await _collection(request).remove(name)
    log.info("proxy %s deleted", name)
    return web.Response(status=204)


async def toxic_index(request: web.Request) -> web.StreamResponse:
    proxy = _collection(request).get(request.match_info["proxy"])
    leases = _leases(request)
    return _json([codec.toxic_json(e, proxy, leases) for e in proxy.toxics.entries()])


async def toxic_create(request: web.Request) -> web.StreamResponse:
    proxy = _collection(request).get(request.match_info["proxy"])
    body = await _body(request)
    spec = codec.toxic_spec(body)
    leases = _leases(request)
    lease_s = codec.lease_seconds(body) if leases is not None else None  # checked before anything changes
    entry = await proxy.toxics.add(spec)
    if leases is not None and lease_s is not None:
        leases.grant(LeaseKind.TOXIC, proxy, lease_s, entry.name)
    log.info("toxic %s added to proxy %s: %s%s", entry.name, proxy.name, _toxic_line(entry),
             f", lease {lease_s:g} s" if lease_s is not None else "")
    return _json(codec.toxic_json(entry, proxy, leases))


async def toxic_show(request: web.Request) -> web.StreamResponse:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(codec.toxic_json(proxy.toxics.get(request.match_info["toxic"]), proxy, _leases(request)))


async def toxic_update(request: web.Request) -> web.StreamResponse:
    proxy = _collection(request).get(request.match_info["proxy"])
    name = request.match_info["toxic"]
    proxy.toxics.get(name)  # 404 before the body is read, as Toxiproxy checks
    body = await _body(request)
    change = codec.toxic_change(body)
    leases = _leases(request)
    lease_s = codec.lease_seconds(body) if leases is not None else None
    entry = await proxy.toxics.update(name, attributes=change.attributes, toxicity=change.toxicity)
    if leases is not None and lease_s is not None:
        leases.grant(LeaseKind.TOXIC, proxy, lease_s, entry.name)
    log.info("toxic %s updated on proxy %s: %s%s", entry.name, proxy.name, _toxic_line(entry),
             f", lease {lease_s:g} s" if lease_s is not None else "")
    return _json(codec.toxic_json(entry, proxy, leases))


async def toxic_delete(request: web.Request) -> web.StreamResponse:
    proxy = _collection(request).get(request.match_info["proxy"])
    name = request.match_info["toxic"]
    await proxy.toxics.remove(name)
    leases = _leases(request)
    if leases is not None:
        leases.drop(LeaseKind.TOXIC, proxy, name)
    log.info("toxic %s removed from proxy %s", name, proxy.name)
    return web.Response(status=204)


async def lease_index(request: web.Request) -> web.StreamResponse:
    leases = request.app[LEASES]
    now = leases.clock()
    return _json([lease.to_json(now) for lease in leases.all()])


async def lease_renew(request: web.Request) -> web.StreamResponse:
    leases = request.app[LEASES]
    lease = leases.renew(request.match_info["lease"], codec.lease_seconds(await _body(request)))
    return _json(lease.to_json(leases.clock()))


async def version(request: web.Request) -> web.StreamResponse:
    body = f'{{"version": "{TOXIPROXY_VERSION}"}}\n'.encode()
    return web.Response(body=body, headers={"Content-Type": "application/json;charset=utf-8"})


async def metrics(request: web.Request) -> web.StreamResponse:
    text = request.app[TRAFFIC].render(_collection(request).live_links())
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE, LIVE_HEADER: LIVE_VALUE})


_P = "/proxies/{proxy:[^/]+}"
_T = _P + "/toxics/{toxic:[^/]+}"
ROUTES: tuple[Route, ...] = (
    Route("POST", "/reset", reset_state, "ResetState"),
    Route("GET", "/proxies", proxy_index, "ProxyIndex"),
    Route("POST", "/proxies", proxy_create, "ProxyCreate"),
    Route("POST", "/populate", populate, "Populate"),
    Route("GET", _P, proxy_show, "ProxyShow"),
    Route("POST", _P, proxy_update, "ProxyUpdate"),
    Route("PATCH", _P, proxy_update, "ProxyUpdatePatch"),
    Route("DELETE", _P, proxy_delete, "ProxyDelete"),
    Route("GET", _P + "/toxics", toxic_index, "ToxicIndex"),
    Route("POST", _P + "/toxics", toxic_create, "ToxicCreate"),
    Route("GET", _T, toxic_show, "ToxicShow"),
    Route("POST", _T, toxic_update, "ToxicUpdate"),
    Route("PATCH", _T, toxic_update, "ToxicUpdatePatch"),
    Route("DELETE", _T, toxic_delete, "ToxicDelete"),
    Route("GET", "/version", version, "Version"),
)
METRICS_ROUTE = Route("*", "/metrics", metrics, "Metrics")
EXTENSION_ROUTES: tuple[Route, ...] = (  # chaos extensions: not routed when playing plain Toxiproxy
    Route("GET", "/leases", lease_index, "LeaseIndex"),
    Route("POST", "/leases/{lease:[^/]+}", lease_renew, "LeaseRenew"),
)


# --- middleware -------------------------------------------------------------------------------


@web.middleware
async def toxiproxy_middleware(request: web.Request, handler: NextHandler) -> web.StreamResponse:
    """Request id, browser block, Go's 404/405 bodies, the 25 s deadline and error rendering."""
    guard = guard_of(request)
    if guard is not None:
        guard.head_received()  # the head deadline is met; the body has its own (BODY_TIMEOUT_S)
    try:
        response = await _respond(request, handler)
    finally:
        if guard is not None:
            guard.request_done()
    response.headers["X-Toxiproxy-Request-Id"] = secrets.token_hex(10)
    return response


async def _respond(request: web.Request, handler: NextHandler) -> web.StreamResponse:
    unmatched = request.match_info.http_exception
    if unmatched is not None:
        if unmatched.status == 405:
            return web.Response(status=405)  # gorilla/mux: no body
        return web.Response(status=404, body=b"404 page not found\n", headers={
            "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"})
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return web.Response(status=403, body=b"User agent not allowed\n", headers={
            "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"})
    # Like Go's TimeoutHandler, a slow handler keeps running (owned by the app) but the caller
    # gets 503 at the deadline: cancelling it half way through a toxic change would be worse.
    async def run() -> web.StreamResponse:
        return await handler(request)

    task = asyncio.get_running_loop().create_task(run())
    background = request.app[BACKGROUND]
    background.add(task)
    task.add_done_callback(background.discard)
    try:
        return await asyncio.wait_for(asyncio.shield(task), HANDLER_TIMEOUT_S)
    except ToxiproxyApiError as exc:
        return render_error(exc)
    except TimeoutError:
        return web.Response(status=503, body=_TIMEOUT_BODY.encode(),
                            headers={"Content-Type": "text/html; charset=utf-8"})
    except web.HTTPException:
        raise
    except Exception as exc:  # a bug of ours: log it, answer like Go's apiError does (500)
        log.exception("%s %s failed", request.method, request.path)
        return render_error(ToxiproxyApiError(status=500, message=f"{type(exc).__name__}: {exc}"))


async def _drop_server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.pop("Server", None)  # Go's net/http sends none


def build_app(collection: ProxyCollection, traffic: Traffic, *, metrics_enabled: bool,
              leases: LeaseBook | None = None) -> web.Application:
    """The API application; /metrics is routed only when enabled, so otherwise it is a plain 404.
    Without `leases` the chaos extensions are off: extra keys are ignored, as Toxiproxy does."""
    app = web.Application(middlewares=[toxiproxy_middleware], client_max_size=MAX_BODY_BYTES)
    app[COLLECTION] = collection
    app[TRAFFIC] = traffic
    app[BACKGROUND] = set()
    routes = ROUTES + ((METRICS_ROUTE,) if metrics_enabled else ())
    if leases is not None:
        app[LEASES] = leases
        routes += EXTENSION_ROUTES
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler, name=route.name)
    app.on_response_prepare.append(_drop_server_header)
    return app
