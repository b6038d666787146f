"""JSON in and out of the API: request bodies decoded and checked, objects rendered in Go's order.

Decoding follows Go's encoding/json as Toxiproxy uses it: the first JSON value of the body counts,
unknown keys are ignored, keys match case-insensitively, a null keeps the default, and a value of
the wrong type is "bad request body: ...". Bodies are decoded within the limits of `body`, and the
strings we store are checked before anything is: names (`names`), upstreams (printable, at most
1,024 characters; not resolved, as in Toxiproxy: a bad one fails each client at dial time).
Rendering keeps Toxiproxy's field order, including the
accidental `"Logger":{}` of 2.5+ proxies, so byte-comparing clients see what they expect.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaos.proxy import body as bodies
from chaos.proxy.api_errors import BAD_REQUEST_BODY, INVALID_STREAM, INVALID_TOXIC_TYPE, MISSING_FIELD
from chaos.proxy.leases import MAX_LEASE_S, LeaseBook, LeaseKind
from chaos.proxy.names import NAME_RULE, describe_name, name_problem
from chaos.proxy.stream import Direction
from chaos.proxy.toxic_collection import ToxicEntry, ToxicSpec
from chaos.proxy.toxics import REGISTRY

if TYPE_CHECKING:
    from chaos.proxy.proxy import Proxy

__all__ = [
    "ProxyExtensions",
    "ProxySpec",
    "ToxicChange",
    "dumps",
    "lease_seconds",
    "parse_body",
    "populate_specs",
    "proxy_create_spec",
    "proxy_extensions",
    "proxy_json",
    "proxy_update_spec",
    "toxic_change",
    "toxic_json",
    "toxic_spec",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxySpec:
    """A proxy as a create, update or populate request describes it."""

    name: str
    listen: str
    upstream: str
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicChange:
    """A toxic update: attributes to merge (None: keep) and a new toxicity (None: keep)."""

    attributes: object
    toxicity: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyExtensions:
    """The chaos keys of a proxy update (each None when absent; Toxiproxy ignores them all)."""

    accept: bool | None = None     # False: listen but accept nothing (connect timeouts)
    lease_s: float | None = None   # revert `enabled:false` / `accept:false` after this long
    seed: int | None = None        # reseed this proxy's toxicity draws
    disables: bool = False         # the body says `enabled: false` (what a lease would revert)


MAX_UPSTREAM_CHARS = 1024


def parse_body(body: bytes) -> object:
    """The first JSON value in `body`, within the limits of `chaos.proxy.body`; empty is Go's "EOF"."""
    return bodies.decode(body)


def _name(value: str, what: str = "name") -> str:
    problem = name_problem(value)
    if problem is not None:
        raise BAD_REQUEST_BODY.error(f"{what}: {problem} (a name is {NAME_RULE})")
    return value


def _upstream(value: str, where: str = "") -> str:
    if len(value) > MAX_UPSTREAM_CHARS:
        raise BAD_REQUEST_BODY.error(f"upstream{where}: {len(value)} characters, more than {MAX_UPSTREAM_CHARS}")
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise BAD_REQUEST_BODY.error(f"upstream{where}: character {bad!a} not allowed")
    return value


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BAD_REQUEST_BODY.error(f"expected {what} as a JSON object, got {_kind(value)}")
    return value


def _get(obj: dict[str, Any], name: str) -> object:
    if name in obj:
        return obj[name]
    for key, value in obj.items():
        if key.lower() == name:
            return value
    return None


def _str(obj: dict[str, Any], name: str, default: str) -> str:
    value = _get(obj, name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BAD_REQUEST_BODY.error(f"{name}: expected a string, got {_kind(value)}")
    return value


def _bool(obj: dict[str, Any], name: str, default: bool) -> bool:
    value = _get(obj, name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BAD_REQUEST_BODY.error(f"{name}: expected true or false, got {_kind(value)}")
    return value


def _toxicity(obj: dict[str, Any], default: float | None) -> float | None:
    value = _get(obj, "toxicity")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BAD_REQUEST_BODY.error(f"toxicity: expected a number, got {_kind(value)}")
    if not 0.0 <= value <= 1.0:  # Toxiproxy stores any float32; we refuse what cannot be a probability
        raise BAD_REQUEST_BODY.error(f"toxicity: must be between 0 and 1, got {value}")
    return float(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    return "array" if isinstance(value, list) else "object"


def _lease(obj: dict[str, Any]) -> float | None:
    value = _get(obj, "lease_s")
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not 0 < value <= MAX_LEASE_S):
        raise BAD_REQUEST_BODY.error(f"lease_s: expected seconds > 0 and <= {MAX_LEASE_S:g} (a number), "
                                     f"got {_kind(value)}")
    return float(value)


def lease_seconds(body: bytes) -> float | None:
    """The optional `lease_s` of a toxic create/update or a lease renewal (an empty body has none)."""
    if not body.strip():
        return None
    return _lease(_object(parse_body(body), "a request"))


def proxy_extensions(body: bytes) -> ProxyExtensions:
    """The chaos keys of POST/PATCH /proxies/{proxy}; a lease must come with something to revert."""
    obj = _object(parse_body(body), "a proxy")
    accept = _get(obj, "accept")
    if accept is not None and not isinstance(accept, bool):
        raise BAD_REQUEST_BODY.error(f"accept: expected true or false, got {_kind(accept)}")
    seed = _get(obj, "seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BAD_REQUEST_BODY.error(f"seed: expected an integer, got {_kind(seed)}")
    ext = ProxyExtensions(accept=accept, lease_s=_lease(obj), seed=seed,
                          disables=_bool(obj, "enabled", True) is False)
    if ext.lease_s is not None and not ext.disables and ext.accept is not False:
        raise BAD_REQUEST_BODY.error("lease_s: a proxy lease reverts `enabled: false` or `accept: false`; "
                                     "send one of them in the same request")
    return ext


def proxy_create_spec(body: bytes) -> ProxySpec:
    """POST /proxies: name and upstream required, enabled defaults to true."""
    obj = _object(parse_body(body), "a proxy")
    spec = ProxySpec(name=_str(obj, "name", ""), listen=_str(obj, "listen", ""),
                     upstream=_str(obj, "upstream", ""), enabled=_bool(obj, "enabled", True))
    if not spec.name:
        raise MISSING_FIELD.error("name")
    if not spec.upstream:
        raise MISSING_FIELD.error("upstream")
    _name(spec.name)
    _upstream(spec.upstream)
    return spec


def proxy_update_spec(body: bytes, current: Proxy) -> ProxySpec:
    """POST/PATCH /proxies/{proxy}: missing fields keep their values; `name` is ignored (no rename)."""
    obj = _object(parse_body(body), "a proxy")
    return ProxySpec(name=current.name, listen=_str(obj, "listen", current.listen),
                     upstream=_upstream(_str(obj, "upstream", current.upstream)),
                     enabled=_bool(obj, "enabled", current.enabled))


def populate_specs(body: bytes) -> list[ProxySpec]:
    """POST /populate: an array, every element checked before anything changes (N is 1-based)."""
    value = parse_body(body)
    if not isinstance(value, list):
        raise BAD_REQUEST_BODY.error(f"expected an array of proxies, got {_kind(value)}")
    specs = []
    for number, item in enumerate(value, start=1):
        obj = _object(item, f"proxy {number}")
        spec = ProxySpec(name=_str(obj, "name", ""), listen=_str(obj, "listen", ""),
                         upstream=_str(obj, "upstream", ""), enabled=_bool(obj, "enabled", True))
        if not spec.name:
            raise MISSING_FIELD.error(f"name at proxy {number}")
        if not spec.upstream:
            raise MISSING_FIELD.error(f"upstream at proxy {number}")
        _name(spec.name, f"name at proxy {number}")
        _upstream(spec.upstream, f" at proxy {number}")
        specs.append(spec)
    return specs


def toxic_spec(body: bytes) -> ToxicSpec:
    """POST /proxies/{proxy}/toxics, checked in Toxiproxy's order: body, stream, default name, type.

    (The duplicate name and the attributes are checked next, by the collection.)"""
    obj = _object(parse_body(body), "a toxic")
    stream = _str(obj, "stream", "downstream")
    toxic_type = _str(obj, "type", "")
    name = _str(obj, "name", "")
    toxicity = _toxicity(obj, 1.0)
    assert toxicity is not None
    direction = Direction.parse(stream)
    if direction is None:
        raise INVALID_STREAM.error()
    if name:
        _name(name)
    if toxic_type not in REGISTRY:
        given = describe_name(toxic_type) if toxic_type else "none given"
        raise INVALID_TOXIC_TYPE.error(f"{given} (known types: {', '.join(sorted(REGISTRY))})")
    name = _name(name or f"{toxic_type}_{stream}")  # a known type and stream: always a valid name
    return ToxicSpec(name=name, type=toxic_type, stream=stream, direction=direction, toxicity=toxicity,
                     attributes=_get(obj, "attributes"))


def toxic_change(body: bytes) -> ToxicChange:
    """POST/PATCH /proxies/{proxy}/toxics/{toxic}: only attributes and toxicity count."""
    obj = _object(parse_body(body), "a toxic")
    return ToxicChange(attributes=_get(obj, "attributes"), toxicity=_toxicity(obj, None))


def toxic_json(entry: ToxicEntry, proxy: Proxy | None = None, leases: LeaseBook | None = None) -> dict[str, object]:
    """A toxic in Toxiproxy's form, plus `"lease"` (a chaos extension) only when one is in force."""
    toxicity = entry.toxicity
    body: dict[str, object] = {
        "attributes": entry.toxic.attributes(),
        "name": entry.name,
        "type": entry.type,
        "stream": entry.stream,
        "toxicity": int(toxicity) if float(toxicity).is_integer() else toxicity,  # Go prints 1, not 1.0
    }
    if leases is not None and proxy is not None:
        lease = leases.find(LeaseKind.TOXIC, proxy, entry.name)
        if lease is not None:
            body["lease"] = lease.to_json(leases.clock())
    return body


def proxy_json(proxy: Proxy, leases: LeaseBook | None = None) -> dict[str, object]:
    """A proxy in Toxiproxy's form; the chaos keys `"accept": false` and `"leases"` appear only when
    they differ from the default, so a plain proxy is byte-identical to Toxiproxy's."""
    body: dict[str, object] = {
        "name": proxy.name,
        "listen": proxy.listen,
        "upstream": proxy.upstream,
        "enabled": proxy.enabled,
        "Logger": {},  # leaked by Toxiproxy >= 2.5 (an untagged *zerolog.Logger); kept for parity
        "toxics": [toxic_json(e, proxy, leases) for e in proxy.toxics.entries()],
    }
    if not proxy.accepting:
        body["accept"] = False
    if leases is not None:
        own = leases.of_proxy(proxy)
        if own:
            now = leases.clock()
            body["leases"] = [lease.to_json(now) for lease in own]
    return body


def dumps(value: object) -> bytes:
    """Compact JSON, as Go's json.Marshal writes it. Never fails on a string: a lone surrogate (which
    the checks above keep out of what is stored) would come out as its JSON escape."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")
