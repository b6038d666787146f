"""ToxiproxyClient: a small typed, synchronous client for any Toxiproxy 2.x server (ours or Go's).

Why not toxiproxy-python: it has no request timeouts (a hung server hangs the suite), cannot
update a toxic, keeps host and port in process-global class attributes (two servers in one run
clash), returns untyped objects, and pulls in `future` and `requests`. This client:

- puts `timeout_s` on every call and retries only idempotent GETs, on connection failures;
- updates with PATCH (2.6+) and falls back to POST when a server answers 405 (older servers);
- parses errors from the body whatever its Content-Type (Toxiproxy sends JSON as text/plain);
- normalises /version across the raw-text (<= 2.5), broken (2.6) and JSON (2.7+) forms;
- ignores keys it does not know (such as "Logger") and never relies on key order.

Every failure raises `chaos.errors.ToxiproxyApiError`; status 0 means the server was unreachable.

Chaos extensions of our embedded server (chaos/proxy/README.md) are typed here too: leases
(`lease_s=` on add_toxic/update_toxic/update_proxy, `renew_lease`, `leases`), `accept=` and `seed=`
on update_proxy. A real Toxiproxy ignores the extra keys; the answer then carries no lease
(`ToxicInfo.lease is None`), which is how callers detect it and fall back.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

import httpx

from chaos.errors import ToxiproxyApiError
from chaos.proxy.metrics import LIVE_HEADER, LIVE_VALUE

__all__ = ["LeaseInfo", "ProxyInfo", "ToxicInfo", "ToxiproxyClient"]

_RECEIVED_METRIC = "toxiproxy_proxy_received_bytes_total"
_LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
GET_ATTEMPTS = 3  # GETs are idempotent: retried on connection failures, with a short backoff
_VERSION_RE = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseInfo:
    """A lease of our embedded server: what it reverts, and when, unless renewed (chaos extension)."""

    id: str
    kind: str                 # "toxic" | "proxy_disabled" | "not_accepting"
    proxy: str
    toxic: str | None
    ttl_s: float
    expires_in_s: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeaseInfo:
        toxic = data.get("toxic")
        return cls(id=str(data["id"]), kind=str(data["kind"]), proxy=str(data["proxy"]),
                   toxic=None if toxic is None else str(toxic), ttl_s=float(data["ttl_s"]),
                   expires_in_s=float(data["expires_in_s"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicInfo:
    """A toxic as the server reports it; `lease` only from a server that honoured `lease_s`."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: Mapping[str, Any]
    lease: LeaseInfo | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToxicInfo:
        lease = data.get("lease")
        return cls(name=str(data["name"]), type=str(data["type"]),
                   stream=str(data.get("stream", "downstream")), toxicity=float(data.get("toxicity", 1.0)),
                   attributes=MappingProxyType(dict(data.get("attributes") or {})),
                   lease=LeaseInfo.from_json(lease) if isinstance(lease, Mapping) else None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyInfo:
    """A proxy as the server reports it; `listen` is the bound address once enabled.

    `accepting` and `leases` are chaos extensions: a real Toxiproxy always reports True and ()."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...]
    accepting: bool = True
    leases: tuple[LeaseInfo, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProxyInfo:
        return cls(name=str(data["name"]), listen=str(data.get("listen", "")),
                   upstream=str(data.get("upstream", "")), enabled=bool(data.get("enabled", False)),
                   toxics=tuple(ToxicInfo.from_json(t) for t in data.get("toxics") or ()),
                   accepting=data.get("accept") is not False,
                   leases=tuple(LeaseInfo.from_json(x) for x in data.get("leases") or ()))

    def lease(self, kind: str) -> LeaseInfo | None:
        """The proxy's lease of `kind` ("proxy_disabled", "not_accepting"), if the server granted one."""
        return next((lease for lease in self.leases if lease.kind == kind), None)


class ToxiproxyClient:
    """Talks to the Toxiproxy API at `url`; every call is bounded by `timeout_s`."""

    def __init__(self, url: str = "http://127.0.0.1:8474", *, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        # Plain-HTTP APIs (the usual case) skip loading the CA bundle, which costs ~0.1 s per client.
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, verify=self.url.startswith("https:"),
                                  headers={"User-Agent": "chaos-suite-toxiproxy-client"})
        self._patch = True  # PATCH until a server answers 405 (Toxiproxy < 2.6)

    # --- server -----------------------------------------------------------------------------------

    def version(self) -> str:
        """The server version, e.g. "2.12.0", whichever of the historical formats it answers in."""
        text = self._request("GET", "/version").text
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            return str(data["version"])
        match = _VERSION_RE.search(text)
        if match is None:
            raise ToxiproxyApiError(status=200, message=f"unrecognised version answer {text[:80]!r}",
                                    method="GET", path="/version")
        return match.group(0)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._request("POST", "/reset")

    def proxy_bytes(self, proxy: str) -> int | None:
        """Bytes that reached `proxy` so far (read from either side, whatever a toxic then did with
        them: a blackhole drops what it receives), from /metrics, to prove a fault bit.

        None when the server has no live counters: /metrics is off (404), or the server counts
        only when a connection closes, as Toxiproxy does (our embedded proxy marks its counters as
        live with a header and must run with --metrics)."""
        try:
            response = self._request("GET", "/metrics")
        except ToxiproxyApiError as exc:
            if exc.status == 404:
                return None
            raise
        if response.headers.get(LIVE_HEADER) != LIVE_VALUE:
            return None
        total = 0
        for line in response.text.splitlines():
            if line.startswith(_RECEIVED_METRIC + "{"):
                labels, _, value = line[len(_RECEIVED_METRIC) + 1:].rpartition("} ")
                if dict(_LABEL_RE.findall(labels)).get("proxy") == _escape_label(proxy):
                    total += int(float(value))
        return total

    # --- proxies ----------------------------------------------------------------------------------

    def proxies(self) -> dict[str, ProxyInfo]:
        data = self._request("GET", "/proxies").json()
        return {name: ProxyInfo.from_json(p) for name, p in (data or {}).items()}

    def get_proxy(self, name: str) -> ProxyInfo:
        return ProxyInfo.from_json(self._request("GET", f"/proxies/{name}").json())

    def create_proxy(self, name: str, *, upstream: str, listen: str = "127.0.0.1:0",
                     enabled: bool = True) -> ProxyInfo:
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled}
        return ProxyInfo.from_json(self._request("POST", "/proxies", json=body).json())

    def update_proxy(self, name: str, *, listen: str | None = None, upstream: str | None = None,
                     enabled: bool | None = None, accept: bool | None = None, lease_s: float | None = None,
                     seed: int | None = None) -> ProxyInfo:
        """Change only the given fields (the server keeps the others).

        Chaos extensions (ignored by a real Toxiproxy): `accept=False` keeps the listener but accepts
        nothing, so clients hit their connect timeout; `lease_s` makes the server revert
        `enabled=False` / `accept=False` by itself unless renewed (see `ProxyInfo.lease`); `seed`
        reseeds this proxy's toxicity draws."""
        body = {k: v for k, v in (("listen", listen), ("upstream", upstream), ("enabled", enabled),
                                  ("accept", accept), ("lease_s", lease_s), ("seed", seed))
                if v is not None}
        return ProxyInfo.from_json(self._update(f"/proxies/{name}", body).json())

    def delete_proxy(self, name: str) -> None:
        self._request("DELETE", f"/proxies/{name}")

    def populate(self, proxies: Sequence[Mapping[str, Any]]) -> list[ProxyInfo]:
        """Create or replace proxies in one server call (POST /populate); absent ones are kept."""
        data = self._request("POST", "/populate", json=[dict(p) for p in proxies]).json()
        return [ProxyInfo.from_json(p) for p in data.get("proxies") or ()]

    # --- toxics -----------------------------------------------------------------------------------

    def toxics(self, proxy: str) -> list[ToxicInfo]:
        return [ToxicInfo.from_json(t) for t in self._request("GET", f"/proxies/{proxy}/toxics").json() or ()]

    def add_toxic(self, proxy: str, type: str, *, name: str | None = None, stream: str = "downstream",
                  toxicity: float = 1.0, attributes: Mapping[str, Any] | None = None,
                  lease_s: float | None = None) -> ToxicInfo:
        """Add a toxic; its name defaults to "<type>_<stream>" on the server.

        With `lease_s` our server removes the toxic by itself unless the lease (`.lease`) is renewed
        within that time; a real Toxiproxy ignores it and answers a toxic without a lease."""
        body: dict[str, Any] = {"type": type, "stream": stream, "toxicity": toxicity,
                                "attributes": dict(attributes or {})}
        if name is not None:
            body["name"] = name
        if lease_s is not None:
            body["lease_s"] = lease_s
        return ToxicInfo.from_json(self._request("POST", f"/proxies/{proxy}/toxics", json=body).json())

    def get_toxic(self, proxy: str, name: str) -> ToxicInfo:
        return ToxicInfo.from_json(self._request("GET", f"/proxies/{proxy}/toxics/{name}").json())

    def update_toxic(self, proxy: str, name: str, *, attributes: Mapping[str, Any] | None = None,
                     toxicity: float | None = None, lease_s: float | None = None) -> ToxicInfo:
        """Merge `attributes` into the toxic's (the server keeps the others) and/or set toxicity;
        `lease_s` puts a new lease on it (chaos extension)."""
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = dict(attributes)
        if toxicity is not None:
            body["toxicity"] = toxicity
        if lease_s is not None:
            body["lease_s"] = lease_s
        return ToxicInfo.from_json(self._update(f"/proxies/{proxy}/toxics/{name}", body).json())

    def delete_toxic(self, proxy: str, name: str) -> None:
        self._request("DELETE", f"/proxies/{proxy}/toxics/{name}")

    # --- leases (chaos extension) -----------------------------------------------------------------

    def leases(self) -> list[LeaseInfo]:
        """Every lease in force, soonest expiry first; a real Toxiproxy answers 404."""
        return [LeaseInfo.from_json(x) for x in self._request("GET", "/leases").json() or ()]

    def renew_lease(self, lease_id: str, *, lease_s: float | None = None) -> LeaseInfo:
        """Push the lease's expiry to now + its ttl (or `lease_s`, which becomes its ttl).

        Raises ToxiproxyApiError 404 once the lease lapsed or its fault was removed: the fault is
        then no longer in place."""
        body = {"lease_s": lease_s} if lease_s is not None else None
        return LeaseInfo.from_json(self._request("POST", f"/leases/{lease_id}", json=body).json())

    # --- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------------

    def _update(self, path: str, body: Mapping[str, Any]) -> httpx.Response:
        if self._patch:
            try:
                return self._request("PATCH", path, json=body)
            except ToxiproxyApiError as exc:
                if exc.status != 405:
                    raise
                self._patch = False
        return self._request("POST", path, json=body)

    def _request(self, method: str, path: str, *, json: object = None) -> httpx.Response:
        attempts = GET_ATTEMPTS if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(method, path, json=json)
            except httpx.TransportError as exc:
                if attempt < attempts and not isinstance(exc, httpx.ReadTimeout):
                    time.sleep(0.1 * attempt)
                    continue
                reason = f"cannot reach {self.url}: {type(exc).__name__}: {exc}"
                raise ToxiproxyApiError(status=0, message=reason, method=method, path=path) from exc
            if response.status_code >= 400:
                raise ToxiproxyApiError(status=response.status_code, message=_error_message(response),
                                        method=method, path=path)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _error_message(response: httpx.Response) -> str:
    """The "error" of a Toxiproxy error body (or "title", Toxiproxy 2.0), whatever the Content-Type."""
    text = response.text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "title"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return text or response.reason_phrase
