"""steady_state(): N bounded requests judged against a tolerance, with the evidence."""

from __future__ import annotations

import time

from support.http_server import ObservedServer

from chaos.observe import RequestSpec, Timeline, Tolerance, steady_state


def test_a_healthy_service_is_in_its_steady_state(server: ObservedServer, timeline: Timeline) -> None:
    result = steady_state(server.url, [RequestSpec.parse("GET /ok", label="steady")], count=3,
                          tolerance=Tolerance(max_latency_s=1.0), timeout_s=2, timeline=timeline)
    assert result.ok
    assert len(result.records) == 3
    assert result.offenders == ()
    assert [r.label for r in timeline.requests()] == ["steady"] * 3
    assert result.explain() == "steady state: 3/3 requests answered 200 within 1 s"


def test_wrong_statuses_and_slow_answers_are_offenders(server: ObservedServer) -> None:
    specs = [RequestSpec.parse(line) for line in ("GET /ok", "GET /status/503", "GET /slow?s=0.8")]
    # /ok answers in ms (0.5 s leaves room for a starved machine); /slow takes 0.8 s by construction
    result = steady_state(server.url, specs, count=3, tolerance=Tolerance(max_latency_s=0.5), timeout_s=2)
    assert not result.ok
    assert [r.path for r in result.offenders] == ["/status/503", "/slow?s=0.8"]
    text = result.explain()
    assert "1/3 requests answered 200 within 0.5 s" in text
    assert "GET /status/503 -> 503" in text


def test_an_unreachable_service_fails_quickly(refused_url: str) -> None:
    started = time.monotonic()
    result = steady_state(refused_url, [RequestSpec.parse("GET /ok")], count=2,
                          tolerance=Tolerance(max_latency_s=1.0, statuses=frozenset({200, 204})), timeout_s=1)
    assert time.monotonic() - started < 2.0  # refusals are immediate; the 1 s timeout is never reached
    assert [r.error for r in result.offenders] == ["ConnectError", "ConnectError"]
