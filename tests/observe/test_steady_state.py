"""steady_state(): N bounded requests judged against a tolerance, with the evidence."""

from __future__ import annotations

import time

from support.answers import OK, answer
from support.http_server import ObservedServer

from chaos.answers import capture_of
from chaos.observe import RequestSpec, Timeline, Tolerance, steady_state


def test_a_healthy_service_is_in_its_steady_state(server: ObservedServer, timeline: Timeline) -> None:
    result = steady_state(server.url, [RequestSpec.parse("GET /ok", label="steady")], count=3,
                          tolerance=Tolerance(max_latency_s=1.0, answer=OK), timeout_s=2, timeline=timeline)
    assert result.ok
    assert len(result.records) == 3
    assert result.offenders == ()
    assert [r.label for r in timeline.requests()] == ["steady"] * 3
    assert result.explain() == "steady state: 3/3 requests answered status 200 within 1 s"


def test_wrong_statuses_and_slow_answers_are_offenders(server: ObservedServer) -> None:
    specs = [RequestSpec.parse(line) for line in ("GET /ok", "GET /status/503", "GET /slow?s=0.8")]
    # /ok answers in ms (0.5 s leaves room for a starved machine); /slow takes 0.8 s by construction
    result = steady_state(server.url, specs, count=3, tolerance=Tolerance(max_latency_s=0.5, answer=OK),
                          timeout_s=2)
    assert not result.ok
    assert [r.path for r in result.offenders] == ["/status/503", "/slow?s=0.8"]
    text = result.explain()
    assert "1/3 requests answered status 200 within 0.5 s" in text
    assert "GET /status/503 -> status 503 in " in text


def test_an_unreachable_service_fails_quickly(refused_url: str) -> None:
    started = time.monotonic()
    result = steady_state(refused_url, [RequestSpec.parse("GET /ok")], count=2,
                          tolerance=Tolerance(max_latency_s=1.0, answer=answer([200, 204])),
                          timeout_s=1)
    assert time.monotonic() - started < 2.0  # refusals are immediate; the 1 s timeout is never reached
    assert [r.error for r in result.offenders] == ["ConnectError", "ConnectError"]


def test_a_tolerance_judges_what_the_requests_capture(server: ObservedServer) -> None:
    not_degraded = answer({"all": [{"status": 200}, {"not": {"json": "degraded", "equals": True}},
                                   {"json": "ok", "equals": True}]})
    captured = RequestSpec(method="GET", path="/ok", capture=capture_of(not_degraded))
    ok = steady_state(server.url, [captured], count=2,
                      tolerance=Tolerance(max_latency_s=1.0, answer=not_degraded),
                      timeout_s=2)
    assert ok.ok, ok.explain()
    degraded = answer({"json": "degraded", "equals": True})
    bad = steady_state(server.url, [RequestSpec(method="GET", path="/ok", capture=capture_of(degraded))],
                       count=1,
                       tolerance=Tolerance(max_latency_s=1.0, answer=degraded), timeout_s=2)
    assert not bad.ok
    assert "GET /ok -> status 200, json degraded: false in " in bad.explain()
