"""Seeded toxicity draws: the same seed hits the same connections (in connection order), another
seed does not; each proxy draws on its own, whatever the other proxies carry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.sockets import EchoServer, connect

from chaos.proxy import EmbeddedProxy, ToxiproxyClient

CONNECTIONS = 24  # two patterns of 24 fair coin flips agree by chance once in 16 million


def hit_pattern(client: ToxiproxyClient, proxy: str) -> list[bool]:
    """One connection after another: True where the toxic (limit_data 0 downstream, toxicity 0.5)
    was drawn for it and closed it before the echo came back."""
    listen = client.get_proxy(proxy).listen
    pattern = []
    for _ in range(CONNECTIONS):
        with connect(listen) as sock:
            sock.sendall(b"x")
            pattern.append(sock.recv(1) == b"")  # bounded by connect()'s 5 s socket timeout
    return pattern


def half_toxic(client: ToxiproxyClient, name: str, upstream: str) -> None:
    client.create_proxy(name, upstream=upstream)
    client.add_toxic(name, "limit_data", attributes={"bytes": 0}, toxicity=0.5)


def test_reseeding_a_proxy_replays_its_draws(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    half_toxic(toxiproxy, "seeded", echo.address)
    toxiproxy.update_proxy("seeded", seed=7)
    first = hit_pattern(toxiproxy, "seeded")
    assert 0 < sum(first) < CONNECTIONS  # both outcomes occur: the toxic really is drawn per connection
    toxiproxy.update_proxy("seeded", seed=7)
    assert hit_pattern(toxiproxy, "seeded") == first
    toxiproxy.update_proxy("seeded", seed=8)
    assert hit_pattern(toxiproxy, "seeded") != first


def test_a_proxys_draws_ignore_other_proxies_traffic(toxiproxy: ToxiproxyClient, echo: EchoServer) -> None:
    half_toxic(toxiproxy, "mine", echo.address)
    half_toxic(toxiproxy, "noisy", echo.address)
    toxiproxy.update_proxy("mine", seed=7)
    alone = hit_pattern(toxiproxy, "mine")
    toxiproxy.update_proxy("mine", seed=7)
    mine_listen = toxiproxy.get_proxy("mine").listen
    interleaved = []
    for _ in range(CONNECTIONS):  # one connection through the other proxy before each of mine
        with connect(toxiproxy.get_proxy("noisy").listen) as noise:
            noise.sendall(b"x")
            noise.recv(1)
        with connect(mine_listen) as sock:
            sock.sendall(b"x")
            interleaved.append(sock.recv(1) == b"")
    assert interleaved == alone


@pytest.fixture
def two_servers() -> Iterator[tuple[ToxiproxyClient, ToxiproxyClient, ToxiproxyClient]]:
    """Two servers started with --seed 11 and one with --seed 12."""
    with EmbeddedProxy(seed=11) as a, EmbeddedProxy(seed=11) as b, EmbeddedProxy(seed=12) as c, \
            ToxiproxyClient(a.url) as ca, ToxiproxyClient(b.url) as cb, ToxiproxyClient(c.url) as cc:
        yield ca, cb, cc


def test_the_server_seed_fixes_every_proxy(two_servers: tuple[ToxiproxyClient, ...], echo: EchoServer) -> None:
    patterns = []
    for client in two_servers:
        half_toxic(client, "p", echo.address)
        patterns.append(hit_pattern(client, "p"))
    same_a, same_b, other = patterns
    assert same_a == same_b
    assert other != same_a
