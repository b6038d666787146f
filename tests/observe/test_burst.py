"""fire(): a burst released together against a real server, each request bounded."""

from __future__ import annotations

import time

import pytest
from support.http_server import ObservedServer

from chaos.observe import RequestSpec, Timeline, fire


def test_a_burst_runs_concurrently_and_returns_in_order(server: ObservedServer, timeline: Timeline) -> None:
    specs = [RequestSpec.parse(f"GET /slow?s=0.5&i={i}", label=f"b{i}") for i in range(8)]
    started = time.monotonic()
    records = fire(server.url, specs, timeline, timeout_s=5)
    elapsed = time.monotonic() - started
    assert [r.label for r in records] == [f"b{i}" for i in range(8)]
    assert all(r.status == 200 for r in records)
    # one after another would take 8 x 0.5 = 4 s; together ~0.5 s (+ 1.5 s for a starved machine)
    assert elapsed < 2.0
    arrivals = [a.at_ns for a in server.arrivals_for("/slow")]
    assert len(arrivals) == 8
    assert (max(arrivals) - min(arrivals)) / 1e9 < 0.25  # released together: all arrive well within one sleep
    assert len({a.peer_port for a in server.arrivals_for("/slow")}) == 8  # one connection each
    assert timeline.requests() == sorted(records, key=lambda r: r.start_ns)


def test_a_hung_burst_comes_back_as_read_timeouts(server: ObservedServer, timeline: Timeline) -> None:
    started = time.monotonic()
    records = fire(server.url, [RequestSpec.parse("GET /hang")] * 3, timeline, timeout_s=0.3)
    assert [r.error for r in records] == ["ReadTimeout"] * 3
    assert time.monotonic() - started < 1.5  # bounded by the 0.3 s timeout, +1.2 s for scheduling


def test_connection_refused_is_recorded(refused_url: str, timeline: Timeline) -> None:
    records = fire(refused_url, [RequestSpec.parse("GET /ok")] * 2, timeline, timeout_s=1)
    assert [r.error for r in records] == ["ConnectError"] * 2


def test_bad_arguments_are_refused(timeline: Timeline) -> None:
    with pytest.raises(ValueError, match="specs is empty"):
        fire("http://127.0.0.1:9", [], timeline, timeout_s=1)
    with pytest.raises(ValueError, match="must be > 0"):
        fire("http://127.0.0.1:9", [RequestSpec.parse("GET /")], timeline, timeout_s=0)
