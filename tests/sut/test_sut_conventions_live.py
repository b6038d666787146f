"""The convention switches on the real service (Postgres, Redis, the fake external API, the proxy):
each one changes what it says it changes, and the default is shown beside it.

The sensitivity matrix proves the suite judges the variant target files right; these prove the
variants describe something real (a convention the service ignored would pass the matrix for the
wrong reason where the default answer also fits, as with the token or the closed listener).
"""

from __future__ import annotations

import dataclasses
import secrets
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
from support.envs import REFERENCE_TARGET

from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.registry import Registry
from chaos.targetfile import load_target
from chaos.upstream.control import Behaviour
from chaos.waiting import wait_until

CATALOG_KEY = "catalog:v1"   # the service's cache key (sut/routes/catalog.py)
TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[LocalEnvironment]:
    """The reference service, described without its readiness endpoint so that a restart under
    no_readiness waits on /health; each test restarts it under the conventions it shows."""
    target = load_target(REFERENCE_TARGET)
    target = dataclasses.replace(target, service=dataclasses.replace(target.service, ready=None))
    environment = LocalBackend(registry=Registry(tmp_path_factory.mktemp("registry"))).start(
        target, worker_id=worker_id)
    yield environment
    environment.close()


def serve(env: LocalEnvironment, conventions: str, **extra: str) -> httpx.Client:
    """The service restarted under `conventions`, healed around, and a client for it."""
    env.heal()   # proxies enabled, the fake API reset, the service running again after a SIGTERM test
    env.sut.restart(extra_env={"SUT_CONVENTIONS": conventions, **extra})
    return httpx.Client(base_url=env.sut.base_url, timeout=5.0, trust_env=False)


def forget_catalog(env: LocalEnvironment) -> None:
    with redis.Redis.from_url(env.redis().url(proxied=False), socket_timeout=3) as client:
        client.delete(CATALOG_KEY)


@pytest.mark.parametrize(("conventions", "miss", "hit"), [
    ("", {"source": "db"}, {"source": "cache"}),
    ("cache_header", {"x-cache": "MISS"}, {"x-cache": "HIT"}),
    ("cache_nested", {"meta": {"cache": {"hit": False}}}, {"meta": {"cache": {"hit": True}}}),
    ("no_cache_marker", {}, {}),
])
def test_cache_marker_conventions(env: LocalEnvironment, conventions: str, miss: dict[str, object],
                                  hit: dict[str, object]) -> None:
    with serve(env, conventions) as client:
        forget_catalog(env)
        answers = [client.get("/api/catalog") for _ in range(2)]
    for response, marker in zip(answers, (miss, hit), strict=True):
        assert response.status_code == 200
        body = response.json()
        assert body["categories"]
        shown = {k: v for k, v in body.items() if k != "categories"}
        shown.update({k: v for k, v in response.headers.items() if k == "x-cache"})
        assert shown == marker   # the marker of the convention, and no other


@pytest.mark.parametrize("conventions", ["", "degraded_header", "degraded_nested"])
def test_degraded_conventions(env: LocalEnvironment, conventions: str) -> None:
    upstream = env.upstream().control
    with serve(env, conventions) as client:
        fine = client.get("/api/quote")
        upstream.set(Behaviour(status=503))
        try:
            degraded = client.get("/api/quote")
        finally:
            upstream.reset()
    assert fine.status_code == degraded.status_code == 200
    flags = []
    for response in (fine, degraded):
        body = response.json()
        if conventions == "degraded_header":
            assert "degraded" not in body
            flags.append(response.headers.get("x-degraded"))
        elif conventions == "degraded_nested":
            assert "degraded" not in body
            assert "quote" in body
            flags.append(body["meta"]["degraded"])
        else:
            assert "x-degraded" not in response.headers
            flags.append(body["degraded"])
    assert flags == ([None, "1"] if conventions == "degraded_header" else [False, True])


@pytest.mark.parametrize(("conventions", "status"), [("", 503), ("errors_500", 500)])
def test_database_unavailable_status(env: LocalEnvironment, conventions: str, status: int) -> None:
    with serve(env, conventions) as client:
        assert client.get("/api/items").status_code == 200
        env.proxy.update_proxy(env.postgres().proxy_name, enabled=False)
        try:
            response = client.get("/api/items")
        finally:
            env.proxy.update_proxy(env.postgres().proxy_name, enabled=True)
    assert (response.status_code, response.json()["error"]) == (status, "database unavailable")


@pytest.mark.parametrize(("conventions", "lost"), [("", 409), ("conflict_422", 422)])
def test_lost_booking_status(env: LocalEnvironment, conventions: str, lost: int) -> None:
    slot = f"slot-{secrets.token_hex(4)}"
    with serve(env, conventions) as client:
        statuses = [client.post("/api/bookings", json={"slot": slot, "user": u}).status_code for u in "ab"]
    assert statuses == [201, lost]


@pytest.mark.parametrize(("conventions", "ready"), [("", 200), ("no_readiness", 404)])
def test_readiness_route(env: LocalEnvironment, conventions: str, ready: int) -> None:
    with serve(env, conventions) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == ready


def test_api_token_guards_every_api_route_and_only_those(env: LocalEnvironment) -> None:
    with serve(env, "api_token", API_TOKEN=TOKEN) as client:
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/items").status_code == 401
        assert client.get("/api/items", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
        assert client.get("/api/items", headers={"Authorization": TOKEN}).status_code == 401
        assert client.post("/api/login", json={"username": "a", "password": "b"}).status_code == 401
        assert client.get("/api/items", headers=good).status_code == 200
        assert client.get("/api/catalog", headers=good).status_code == 200
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        refused = client.get("/api/quote")
    assert refused.json() == {"error": "missing bearer token"}
    assert TOKEN not in env.sut.logs()


def test_api_token_off_needs_no_token(env: LocalEnvironment) -> None:
    with serve(env, "") as client:
        assert client.get("/api/items").status_code == 200


PRESTOP_S = 3.0
"""A pre-stop period long against any scheduling delay: the default serves new connections for all
of it, the close_listener_at_sigterm convention refuses them from the signal on."""


@pytest.mark.parametrize("conventions", ["", "close_listener_at_sigterm"])
def test_sigterm_listener(env: LocalEnvironment, conventions: str) -> None:
    """After SIGTERM: the default answers new connections (readiness 503) for the pre-stop period,
    the convention refuses them at once; both finish the request in flight and exit 0."""
    with serve(env, conventions, SHUTDOWN_PRESTOP_S=str(PRESTOP_S)) as client:
        in_flight: list[int] = []
        slow = threading.Thread(target=lambda: in_flight.append(client.get("/api/slow?seconds=1.5").status_code))
        slow.start()
        time.sleep(0.3)   # the slow request is in flight (it sleeps 1.5 s after its DB round trip)
        env.sut.signal(signal.SIGTERM)
        signalled = time.monotonic()
        seen: list[int | str] = []

        def new_connection_refused() -> bool:
            try:
                seen.append(httpx.get(env.sut.base_url + "/health", timeout=1.0, trust_env=False).status_code)
            except httpx.ConnectError:
                seen.append("refused")
                return True
            return False

        wait_until(new_connection_refused, timeout_s=PRESTOP_S + 3.0, interval_s=0.05, what="a refused connection")
        refused_after_s = time.monotonic() - signalled
        slow.join(timeout=10.0)
        code = env.sut.wait_exit(timeout_s=10.0)
    assert in_flight == [200]
    assert code == 0
    if conventions:
        # the listener closes at the next server tick (0.1 s); half the pre-stop period is room for load
        assert refused_after_s < PRESTOP_S / 2, seen
    else:
        assert refused_after_s >= PRESTOP_S * 0.9, seen   # served until the pre-stop period ended
        assert 200 in seen
