"""Fault leases (chaos extension): the server reverts a leased toxic or disabled proxy by itself."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from support.sockets import EchoServer, connect, round_trip_s

from chaos.errors import ToxiproxyApiError
from chaos.proxy import EmbeddedProxy, ToxiproxyClient
from chaos.waiting import wait_until

LEASE_S = 0.5
RENEWED_LEASE_S = 2.0
# Expiry is checked against a generous bound: the server's timer fires within milliseconds, but the
# test polls and the machine is shared (2 cores, other developers' runs).
LAPSE_TOLERANCE_S = 2.0


def toxic_names(client: ToxiproxyClient, proxy: str) -> list[str]:
    return [t.name for t in client.toxics(proxy)]


def test_leased_toxic_is_removed_when_the_lease_lapses(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("leased", upstream=echo.address)
    info = toxiproxy.add_toxic("leased", "latency", attributes={"latency": 300}, lease_s=LEASE_S)
    granted = time.monotonic()
    assert info.lease is not None
    assert info.lease.kind == "toxic"
    assert info.lease.toxic == "latency_downstream"
    assert info.lease.ttl_s == LEASE_S
    assert 0 < info.lease.expires_in_s <= LEASE_S
    with connect(proxy.listen) as sock:
        assert round_trip_s(sock) >= 0.25  # the toxic is live: 300 ms latency (25 ms tolerance below)
        wait_until(lambda: toxic_names(toxiproxy, "leased") == [], timeout_s=LEASE_S + LAPSE_TOLERANCE_S,
                   interval_s=0.02, what="leased toxic removed")
        # not before the lease: 50 ms for the timer and the request that granted it
        assert time.monotonic() - granted >= LEASE_S - 0.05
        assert round_trip_s(sock) < 0.25  # the live connection is back on the fast path
    assert toxiproxy.leases() == []


def test_renewals_keep_the_toxic_until_they_stop(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    toxiproxy.create_proxy("renewed", upstream=echo.address)
    # a longer lease than the others: each renewal pass makes two API calls, which a loaded machine
    # can stretch past half a second
    lease_s = RENEWED_LEASE_S
    lease = toxiproxy.add_toxic("renewed", "latency", attributes={"latency": 10}, lease_s=lease_s).lease
    assert lease is not None
    deadline = time.monotonic() + 2 * lease_s
    while time.monotonic() < deadline:  # bounded: two lease lengths of renewals every 0.1 s
        assert toxic_names(toxiproxy, "renewed") == ["latency_downstream"]
        renewed = toxiproxy.renew_lease(lease.id)
        assert renewed.id == lease.id
        assert renewed.expires_in_s > lease_s - 0.5  # renewal resets the clock (500 ms tolerance)
        time.sleep(0.1)
    wait_until(lambda: toxic_names(toxiproxy, "renewed") == [], timeout_s=lease_s + LAPSE_TOLERANCE_S,
               interval_s=0.02, what="toxic removed once renewals stop")
    with pytest.raises(ToxiproxyApiError) as lapsed:
        toxiproxy.renew_lease(lease.id)
    assert (lapsed.value.status, lapsed.value.message) == (404, "lease not found")


def test_renewal_can_change_the_lease_length(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    toxiproxy.create_proxy("longer", upstream=echo.address)
    lease = toxiproxy.add_toxic("longer", "latency", lease_s=LEASE_S).lease
    assert lease is not None
    renewed = toxiproxy.renew_lease(lease.id, lease_s=30)
    assert renewed.ttl_s == 30
    time.sleep(LEASE_S + 0.3)  # past the first lease: the new length holds it
    assert toxic_names(toxiproxy, "longer") == ["latency_downstream"]
    (listed,) = toxiproxy.leases()
    assert listed.id == lease.id
    assert listed.proxy == "longer"


def test_leased_disabled_proxy_is_enabled_again(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = toxiproxy.create_proxy("down", upstream=echo.address)
    info = toxiproxy.update_proxy("down", enabled=False, lease_s=LEASE_S)
    lease = info.lease("proxy_disabled")
    assert lease is not None
    assert not info.enabled
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(proxy.listen.rsplit(":", 1)[1])), timeout=1).close()
    wait_until(lambda: toxiproxy.get_proxy("down").enabled, timeout_s=LEASE_S + LAPSE_TOLERANCE_S,
               interval_s=0.02, what="proxy enabled again by its lease")
    after = toxiproxy.get_proxy("down")
    assert after.listen == proxy.listen  # same address: clients reconnect where they were
    assert after.leases == ()
    with connect(after.listen) as sock:
        assert round_trip_s(sock) < 1.0


def test_reverting_through_the_api_ends_the_lease(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    """A toxic deleted and created again without a lease must not be removed by the old lease."""
    toxiproxy.create_proxy("manual", upstream=echo.address)
    toxiproxy.add_toxic("manual", "latency", lease_s=LEASE_S)
    toxiproxy.delete_toxic("manual", "latency_downstream")
    assert toxiproxy.leases() == []
    again = toxiproxy.add_toxic("manual", "latency")
    assert again.lease is None
    toxiproxy.update_proxy("manual", enabled=False, lease_s=LEASE_S)
    toxiproxy.update_proxy("manual", enabled=True)
    assert toxiproxy.leases() == []
    time.sleep(LEASE_S + 0.3)  # past both old leases
    assert toxic_names(toxiproxy, "manual") == ["latency_downstream"]


def test_reset_and_delete_end_every_lease(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    toxiproxy.create_proxy("r1", upstream=echo.address)
    toxiproxy.create_proxy("r2", upstream=echo.address)
    toxiproxy.add_toxic("r1", "latency", lease_s=30)
    toxiproxy.update_proxy("r2", enabled=False, lease_s=30)
    assert len(toxiproxy.leases()) == 2
    toxiproxy.reset()
    assert toxiproxy.leases() == []
    toxiproxy.add_toxic("r1", "latency", lease_s=30)
    toxiproxy.delete_proxy("r1")
    assert toxiproxy.leases() == []


def test_update_can_lease_an_existing_toxic(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    toxiproxy.create_proxy("later", upstream=echo.address)
    toxiproxy.add_toxic("later", "latency")
    info = toxiproxy.update_toxic("later", "latency_downstream", lease_s=LEASE_S)
    assert info.lease is not None
    wait_until(lambda: toxic_names(toxiproxy, "later") == [], timeout_s=LEASE_S + LAPSE_TOLERANCE_S,
               interval_s=0.02, what="toxic leased by an update removed")


@pytest.mark.parametrize(("value", "shown"), [
    ("1", "string '1'"), (-1, "number -1"), (0, "number 0"), (1e9, "number 1000000000.0"), (True, "boolean true"),
])
def test_bad_leases_are_refused_before_anything_changes(api: httpx.Client, echo: EchoServer, value: object,
                                                        shown: str) -> None:
    api.post("/proxies", json={"name": "bad", "listen": "127.0.0.1:0", "upstream": echo.address})
    response = api.post("/proxies/bad/toxics", json={"type": "latency", "lease_s": value})
    assert response.status_code == 400
    assert response.json()["error"] == (
        f"bad request body: lease_s: expected seconds > 0 and <= 86400 (a number), got {shown}")
    assert api.get("/proxies/bad/toxics").json() == []


def test_a_proxy_lease_needs_something_to_revert(api: httpx.Client, echo: EchoServer) -> None:
    api.post("/proxies", json={"name": "nothing", "listen": "127.0.0.1:0", "upstream": echo.address})
    response = api.patch("/proxies/nothing", json={"lease_s": 5})
    assert response.status_code == 400
    assert "send one of them in the same request" in response.json()["error"]
    unknown = api.post("/leases/0123456789abcdef")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "lease not found")


def test_unleased_answers_are_byte_identical_to_toxiproxy(api: httpx.Client, echo: EchoServer) -> None:
    """The extension keys appear only when a lease or `accept: false` is in force."""
    created = api.post("/proxies", json={"name": "plain", "listen": "127.0.0.1:0", "upstream": echo.address})
    assert list(created.json()) == ["name", "listen", "upstream", "enabled", "Logger", "toxics"]
    toxic = api.post("/proxies/plain/toxics", json={"type": "latency"})
    assert toxic.content == (b'{"attributes":{"latency":0,"jitter":0},"name":"latency_downstream",'
                             b'"type":"latency","stream":"downstream","toxicity":1}')


@pytest.fixture
def plain_toxiproxy() -> Iterator[ToxiproxyClient]:
    """Our server with the extensions off: it answers as Toxiproxy 2.12 does (no leases)."""
    with EmbeddedProxy(host="127.0.0.1", port=0, extensions=False) as server, \
            ToxiproxyClient(server.url) as client:
        yield client


def test_without_extensions_lease_keys_are_ignored_like_toxiproxy(plain_toxiproxy: ToxiproxyClient,
                                                                   echo: EchoServer) -> None:
    plain_toxiproxy.create_proxy("p", upstream=echo.address)
    info = plain_toxiproxy.add_toxic("p", "latency", lease_s=LEASE_S)
    assert info.lease is None  # how a client tells that the server has no leases
    disabled = plain_toxiproxy.update_proxy("p", enabled=False, lease_s=LEASE_S)
    assert disabled.leases == ()
    with pytest.raises(ToxiproxyApiError) as no_route:
        plain_toxiproxy.leases()
    assert no_route.value.status == 404
    time.sleep(LEASE_S + 0.3)
    assert toxic_names(plain_toxiproxy, "p") == ["latency_downstream"]
    assert not plain_toxiproxy.get_proxy("p").enabled
