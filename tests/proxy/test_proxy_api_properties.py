"""Property-based: generated requests, hostile and ordinary, never break the API's invariants.

A hypothesis state machine sends requests to a server of its own: proxies and toxics created,
updated and deleted with generated names, listen addresses, upstreams and attributes, populates,
resets, raw bodies (bytes, deep nesting, long numbers) and raw paths. After every request:
- the answer is 2xx or 4xx, or one of Toxiproxy's deliberate 500s for a listener that cannot bind
  or a listen host that does not resolve (its message starts "listen tcp"), never another 5xx;
- `GET /proxies` is 200 and valid JSON, and every listed proxy and toxic can be fetched by name;
- nothing listens off loopback (read from the listening sockets, not from the API's strings).
`POST /reset` is one of the rules (and must answer 204); at the end of each run it is sent again,
and every listed proxy must then delete with 204, leaving `{}`.

Seeded and bounded: `derandomize=True` (the same examples every run), MAX_EXAMPLES runs of at most
STEPS requests, about 10 s on a loaded 2-core machine. Ports are 0, or invalid, privileged or
out-of-range ones that never bind, or a port one of our own proxies holds: a test must not take a
port that someone else's test on this machine may be about to bind.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from support.sockets import EchoServer

from chaos.proxy import EmbeddedProxy, ProxyServer
from chaos.proxy.toxics import REGISTRY

MAX_EXAMPLES = 40
STEPS = 25

HUGE = "<300,000 characters>"  # stands for a 300,000-character name (its repr would flood a failure report)
SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b"])
NAMES = st.one_of(
    st.sampled_from(["redis", "pg", "a b", "x" * 128, "x" * 129, "..", "a/b", "%41", " lead", "ok~._-"]),
    st.text(max_size=12),
    SURROGATES,
    st.just(HUGE),
)
GOOD_NAMES = st.sampled_from(["redis", "pg", "a b", "x" * 128, "ok~._-", "gw0-1-postgres"])
HOSTS = st.sampled_from(["127.0.0.1", "127.0.0.2", "localhost", "[::1]", "", "0.0.0.0", "[::]", "10.0.0.1",
                         "255.255.255.255", "224.0.0.1", "no-such-host.invalid", "[fe80::1]", "a..b"])
PORTS = st.sampled_from(["0", "0", "0", "80", "1023", "99999", "-1", "\u00b2", "\u0661\u0668\u0665\u0660\u0660",
                         "abc", "", "65536", "0" * 40])
LISTENS = st.one_of(st.builds(lambda h, p: f"{h}:{p}", HOSTS, PORTS), st.text(max_size=8), st.just("taken"))
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
ATTRIBUTES = st.one_of(
    st.dictionaries(st.sampled_from(["latency", "jitter", "rate", "delay", "timeout", "bytes", "average_size",
                                     "size_variation", "Latency", "nope"]),
                    st.one_of(st.integers(min_value=-3, max_value=2**64), st.sampled_from([0, 1, 10, 100])),
                    max_size=4),
    VALUES,
)
HOSTILE_BODIES = st.sampled_from([
    b"[" * 100_000, b'{"name": ' + b"9" * 5000 + b"}", b'{"toxicity": NaN}', b'{"toxicity": 1e999}', b"{}", b"",
    b'{"name": "\\ud800", "upstream": "x:1"}', b"\xff\xfe", b'{"a":' * 40 + b"1" + b"}" * 40, b" " * (1 << 20) + b"{}",
    b'{"attributes": {"latency": 99999999999999999999}, "type": "latency"}', b'[{"name": "a", "upstream": "b"}]' * 3])
RAW_BODIES = st.one_of(st.binary(max_size=64), HOSTILE_BODIES)
METHODS = st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"])
BODY_ROUTES = st.sampled_from([("POST", "/proxies"), ("POST", "/populate"), ("PATCH", "/proxies/{p}"),
                               ("POST", "/proxies/{p}/toxics"), ("PATCH", "/proxies/{p}/toxics/{t}"),
                               ("POST", "/leases/{p}")])
ANY_ROUTES = st.sampled_from(["/proxies", "/populate", "/proxies/{p}", "/proxies/{p}/toxics", "/proxies/{p}/toxics/{t}",
                              "/leases/{p}", "/leases", "/reset", "/version", "/metrics", "/nope"])


def _expand(name: str) -> str:
    return "y" * 300_000 if name == HUGE else name


def _path_segment(name: str) -> str:
    """`name` in a URL path, any string (lone surrogates as their WTF-8 bytes), cut to 9,000
    characters: past aiohttp's 8,190-byte request line, within httpx's URL limit."""
    return quote(_expand(name).encode("utf-8", "surrogatepass"), safe="")[:9000]


class ApiMachine(RuleBasedStateMachine):
    """The API under generated requests; `api`, `echo` and `server` are set by the test."""

    api: httpx.Client
    echo: str
    server: EmbeddedProxy

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    # --- requests ---------------------------------------------------------------------------------

    def send(self, method: str, path: str, *, body: bytes | None = None, json_body: Any = None) -> httpx.Response:
        if json_body is not None:
            body = json.dumps(json_body).encode()  # ensure_ascii: a lone surrogate goes as its escape
        response = self.api.request(method, path, content=body)
        self.sent += 1
        status = response.status_code
        if status >= 500:  # only Toxiproxy's deliberate listen failures, never for a malformed request
            assert status == 500, (method, path, body, status, response.text)
            message = response.json()["error"]
            assert message.startswith("listen tcp"), (method, path, body, message)
        return response

    def _listen(self, listen: str) -> str:
        if listen != "taken":
            return listen
        bound: list[str] = [p["listen"] for p in self.api.get("/proxies").json().values() if p["enabled"]]
        return bound[0] if bound else "127.0.0.1:0"

    def _existing(self, data: st.DataObject) -> str:
        names: list[str] = list(self.api.get("/proxies").json())
        name: str = data.draw(st.sampled_from(names) if names else NAMES)
        return name

    @rule(name=NAMES, listen=LISTENS, upstream=st.one_of(st.just("echo"), st.text(max_size=8), SURROGATES),
          enabled=st.one_of(st.booleans(), VALUES))
    def create_proxy(self, name: str, listen: str, upstream: str, enabled: object) -> None:
        body = {"name": _expand(name), "listen": self._listen(listen),
                "upstream": self.echo if upstream == "echo" else upstream, "enabled": enabled}
        self.send("POST", "/proxies", json_body=body)

    @rule(name=GOOD_NAMES, listen=st.sampled_from(["127.0.0.1:0", "localhost:0", "", "[::1]:0", "taken"]),
          enabled=st.booleans())
    def create_ordinary_proxy(self, name: str, listen: str, enabled: bool) -> None:
        """Proxies that can exist, so that the other rules find state to work on."""
        self.send("POST", "/proxies", json_body={"name": name, "listen": self._listen(listen), "upstream": self.echo,
                                                 "enabled": enabled})

    @rule(data=st.data(), toxic=st.sampled_from([
        {"type": "latency", "attributes": {"latency": 1}}, {"type": "timeout", "stream": "upstream"},
        {"type": "slicer", "attributes": {"average_size": 5, "size_variation": 5}},
        {"type": "bandwidth", "name": "cut", "attributes": {"rate": 0}}, {"type": "noop", "name": "n o p"},
        {"type": "limit_data", "attributes": {"bytes": 10}, "toxicity": 0.5}]))
    def create_ordinary_toxic(self, data: st.DataObject, toxic: dict[str, object]) -> None:
        self.send("POST", f"/proxies/{_path_segment(self._existing(data))}/toxics", json_body=toxic)

    @rule(data=st.data(), listen=st.one_of(st.none(), LISTENS), enabled=st.one_of(st.none(), st.booleans()),
          extra=st.dictionaries(st.sampled_from(["accept", "seed", "lease_s", "upstream"]), VALUES, max_size=2))
    def update_proxy(self, data: st.DataObject, listen: str | None, enabled: bool | None,
                     extra: dict[str, object]) -> None:
        body: dict[str, object] = dict(extra)
        if listen is not None:
            body["listen"] = self._listen(listen)
        if enabled is not None:
            body["enabled"] = enabled
        self.send(data.draw(st.sampled_from(["PATCH", "POST"])),
                  f"/proxies/{_path_segment(self._existing(data))}", json_body=body)

    @rule(data=st.data(), toxic_type=st.one_of(st.sampled_from(sorted(REGISTRY)), st.text(max_size=6)),
          name=st.one_of(st.none(), NAMES), stream=st.sampled_from(["upstream", "downstream", "UpStream", "side", ""]),
          toxicity=st.one_of(st.none(), VALUES), attributes=ATTRIBUTES)
    def create_toxic(self, data: st.DataObject, toxic_type: str, *, name: str | None, stream: str,
                     toxicity: object, attributes: object) -> None:
        body: dict[str, object] = {"type": toxic_type, "stream": stream, "attributes": attributes}
        if name is not None:
            body["name"] = _expand(name)
        if toxicity is not None:
            body["toxicity"] = toxicity
        self.send("POST", f"/proxies/{_path_segment(self._existing(data))}/toxics", json_body=body)

    @rule(data=st.data(), attributes=ATTRIBUTES, toxicity=st.one_of(st.none(), VALUES))
    def update_toxic(self, data: st.DataObject, attributes: object, toxicity: object) -> None:
        proxies = self.api.get("/proxies").json()
        toxics = [(p, t["name"]) for p, proxy in proxies.items() for t in proxy["toxics"]]
        proxy, toxic = data.draw(st.sampled_from(toxics)) if toxics else (self._existing(data), "none")
        self.send("PATCH", f"/proxies/{_path_segment(proxy)}/toxics/{_path_segment(toxic)}",
                  json_body={"attributes": attributes, "toxicity": toxicity})

    @rule(entries=st.lists(st.fixed_dictionaries({"name": NAMES, "listen": LISTENS, "upstream": st.just("echo")}),
                           max_size=3))
    def populate(self, entries: list[dict[str, str]]) -> None:
        body = [{**e, "name": _expand(e["name"]), "listen": self._listen(e["listen"]), "upstream": self.echo}
                for e in entries]
        response = self.send("POST", "/populate", json_body=body)
        assert response.headers["content-type"] == "application/json"

    @rule(data=st.data(), request=st.one_of(BODY_ROUTES, st.tuples(METHODS, ANY_ROUTES)), name=NAMES,
          body=RAW_BODIES)
    def raw_request(self, data: st.DataObject, request: tuple[str, str], name: str, body: bytes) -> None:
        """A raw body to a route; half the time to an existing proxy (a missing one is 404 before the body)."""
        method, route = request
        proxy = self._existing(data) if data.draw(st.booleans()) else name
        toxics = self.api.get("/proxies").json().get(proxy, {}).get("toxics") or [{"name": name}]
        path = route.replace("{p}", _path_segment(proxy)).replace("{t}", _path_segment(toxics[0]["name"]))
        self.send(method, path, body=body)

    @rule(data=st.data(), request=BODY_ROUTES, body=HOSTILE_BODIES)
    def hostile_body(self, data: st.DataObject, request: tuple[str, str], body: bytes) -> None:
        """The bodies the fuzz run of issue 15 found 500s with, to every route that reads a body."""
        self.raw_request(data, request, "none", body)

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.send("DELETE", f"/proxies/{_path_segment(self._existing(data))}")

    @rule()
    def reset(self) -> None:
        assert self.send("POST", "/reset").status_code == 204

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def listings_work(self) -> None:
        response = self.api.get("/proxies")
        assert response.status_code == 200
        proxies = json.loads(response.content)  # strict: the body is valid JSON as sent
        for name, proxy in proxies.items():
            assert self.api.get(f"/proxies/{_path_segment(name)}").status_code == 200, name
            for toxic in proxy["toxics"]:
                path = f"/proxies/{_path_segment(name)}/toxics/{_path_segment(toxic['name'])}"
                assert self.api.get(path).status_code == 200, (name, toxic)

    @invariant()
    def nothing_listens_off_loopback(self) -> None:
        for bound in self.server.call(_bound_addresses):
            assert ipaddress.ip_address(bound[0].split("%")[0]).is_loopback, bound

    def teardown(self) -> None:
        assert self.api.post("/reset").status_code == 204
        for name in self.api.get("/proxies").json():
            assert self.api.delete(f"/proxies/{_path_segment(name)}").status_code == 204, name
        assert self.api.get("/proxies").json() == {}


async def _bound_addresses(server: ProxyServer) -> list[tuple[str, int]]:
    return [bound for proxy in server.proxies.all() if (bound := proxy.bound()) is not None]


@pytest.fixture(scope="module")
def own_server() -> Iterator[EmbeddedProxy]:
    """A server for this module alone (its proxies come and go by the thousand)."""
    with EmbeddedProxy(seed=15) as server:
        yield server


def test_generated_requests_keep_the_api_invariants(own_server: EmbeddedProxy, echo: EchoServer) -> None:
    with httpx.Client(base_url=own_server.url, timeout=30) as client:
        ApiMachine.api, ApiMachine.echo, ApiMachine.server = client, echo.address, own_server
        run_state_machine_as_test(ApiMachine, settings=settings(
            max_examples=MAX_EXAMPLES, stateful_step_count=STEPS, derandomize=True, deadline=None,
            database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
