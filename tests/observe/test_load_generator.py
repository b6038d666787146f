"""LoadGenerator against a real HTTP server: bounds, pacing, saturation (open and closed), stop,
error kinds, bodies. The open model against a service that hangs is in test_open_model.py.

Timing tolerances are wide on purpose (2 shared cores): each states its bound and why.
"""

from __future__ import annotations

import itertools
import statistics
import time

import pytest
from support.answers import json_path as path
from support.http_server import ObservedServer

from chaos.answers import Capture
from chaos.observe import (
    NOT_SENT,
    LoadGenerator,
    LoadModel,
    LoadSpec,
    RequestDone,
    RequestSkipped,
    RequestSpec,
    Timeline,
)
from chaos.waiting import WaitTimeout


def load(path: str, **overrides: object) -> LoadSpec:
    values: dict[str, object] = {
        "requests": [RequestSpec.parse(f"GET {path}", label="l")], "rate_per_s": 50.0, "concurrency": 4,
        "max_requests": 1000, "duration_s": 1.0, "timeout_s": 2.0,
    }
    values.update(overrides)
    return LoadSpec(**values)  # type: ignore[arg-type]


def test_stops_at_max_requests(server: ObservedServer, timeline: Timeline) -> None:
    started = time.monotonic()
    # concurrency 10: no slot can be skipped, so exactly max_requests are sent even on a busy machine
    spec = load("/ok", rate_per_s=100, max_requests=10, duration_s=30, concurrency=10)
    with LoadGenerator(server.url, spec, timeline) as gen:
        stats = gen.wait(timeout_s=10)
    elapsed = time.monotonic() - started
    assert (stats.planned, stats.sent, stats.answered, stats.errors, stats.skipped) == (10, 10, 10, 0, 0)
    assert len(server.arrivals_for("/ok")) == 10
    assert elapsed < 2.0  # 10 slots at 100/s end at ~0.09 s; 2 s leaves room for a loaded machine
    assert all(r.status == 200 and r.label == "l" for r in timeline.requests())


def test_stops_at_duration(server: ObservedServer, timeline: Timeline) -> None:
    started = time.monotonic()
    with LoadGenerator(server.url, load("/ok", rate_per_s=20, duration_s=0.5), timeline) as gen:
        stats = gen.wait(timeout_s=10)
    elapsed = time.monotonic() - started
    assert stats.planned == 10
    assert stats.sent <= 10
    assert elapsed < 1.5  # issuing stops at 0.5 s; answers take ms; 1 s margin for scheduling
    last_start = max(r.start_ns for r in timeline.requests())
    assert timeline.offset_s(last_start) < 0.5 + 0.3  # nothing issued after duration_s (+ thread start-up)


def test_pacing_is_open_loop_at_the_rate(server: ObservedServer, timeline: Timeline) -> None:
    spec = load("/ok", rate_per_s=40, duration_s=1.0, concurrency=10)
    with LoadGenerator(server.url, spec, timeline) as gen:
        stats = gen.wait(timeout_s=10)
    # 40 slots are due in [0, 1 s); a lagging loop may drop the last few: accept >= 80 %
    assert 32 <= stats.sent + stats.not_sent <= 40
    assert stats.skipped == 0
    starts = sorted(r.start_ns for r in timeline.requests())
    gaps = [(b - a) / 1e9 for a, b in itertools.pairwise(starts)]
    # the median gap is 25 ms; +-40 % absorbs scheduler jitter without hiding a wrong rate
    assert 0.015 <= statistics.median(gaps) <= 0.035
    span = (starts[-1] - starts[0]) / 1e9
    assert 0.7 <= span <= 1.1  # the slots span 0.975 s


def test_closed_model_skips_saturated_slots_and_does_not_queue(server: ObservedServer, timeline: Timeline) -> None:
    spec = load("/slow?s=1.0", rate_per_s=40, concurrency=2, duration_s=0.5, model=LoadModel.CLOSED)
    with LoadGenerator(server.url, spec, timeline) as gen:
        stats = gen.wait(timeout_s=10)
    # two requests occupy both slots for 1 s; every other slot of the 0.5 s run is skipped
    assert stats.sent == 2
    assert stats.answered == 2
    # 18 slots fall due while both are busy; a loop lagging on a loaded machine may reach the time
    # limit before the last one or two are due (as in the pacing test above): 16..18, never queued
    assert stats.planned == 20
    assert 16 <= stats.skipped <= 18
    assert stats.not_sent == 0
    assert len(timeline.events(RequestSkipped)) == stats.skipped
    assert len(timeline.requests()) == 2      # skipped slots are not requests: no contract judges them
    assert len(server.arrivals_for("/slow")) == 2


def test_open_model_records_slots_past_its_cap_as_not_sent(server: ObservedServer, timeline: Timeline) -> None:
    spec = load("/slow?s=1.0", rate_per_s=40, concurrency=2, duration_s=0.5)
    with LoadGenerator(server.url, spec, timeline) as gen:
        stats = gen.wait(timeout_s=10)
    # the same saturation as above, open model with an explicit cap of 2: the 18 later slots are
    # requests not sent (16..18 for a lagging loop, as above), at their intended times
    assert (stats.sent, stats.answered, stats.skipped) == (2, 2, 0)
    assert 16 <= stats.not_sent <= 18
    assert not timeline.events(RequestSkipped)
    unsent = [r for r in timeline.requests() if r.not_sent]
    assert len(unsent) == stats.not_sent
    assert all(r.error == NOT_SENT and r.in_flight == 2 and r.latency_s == 0 for r in unsent)
    assert unsent[0].outcome_text() == "not sent: 2 in flight"
    # each at its slot (i / 40 s after the first request's intended start), whatever the loop did
    first = min(r.start_ns for r in timeline.requests())
    slots = [(r.start_ns - first) / 1e9 * 40 for r in unsent]
    assert all(abs(slot - round(slot)) < 1e-3 for slot in slots), slots
    assert len(server.arrivals_for("/slow")) == 2


def test_stop_is_bounded_against_a_hung_server_and_records_cancellations(
    server: ObservedServer, timeline: Timeline
) -> None:
    gen = LoadGenerator(server.url, load("/hang", rate_per_s=20, concurrency=3, duration_s=20, timeout_s=30),
                        timeline)
    gen.start()
    deadline = time.monotonic() + 5
    while len(server.arrivals_for("/hang")) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    stats = gen.stop(timeout_s=5)
    # cancelling 3 requests and closing the client takes ms; 2 s is far below the 30 s request timeout
    assert time.monotonic() - started < 2.0
    assert not gen.running
    assert stats.cancelled == 3
    assert stats.sent == 3
    assert stats.answered == 0
    cancelled = [r for r in timeline.requests() if not r.not_sent]   # past the cap of 3: not sent
    assert [r.error for r in cancelled] == ["Cancelled"] * 3
    assert gen.stop(timeout_s=1) == stats  # a second stop is harmless


def test_error_kinds_connect_refused_and_read_timeout(
    server: ObservedServer, refused_url: str, timeline: Timeline
) -> None:
    refusing = load("/ok", max_requests=3, rate_per_s=100, concurrency=3)
    with LoadGenerator(refused_url, refusing, timeline) as gen:
        refused = gen.wait(timeout_s=10)
    assert refused.errors == 3
    assert {r.error for r in refused.records} == {"ConnectError"}
    slow = load("/hang", max_requests=2, rate_per_s=100, timeout_s=0.3, concurrency=2)
    with LoadGenerator(server.url, slow, timeline, name="hung") as gen:
        timed_out = gen.wait(timeout_s=10)
    assert {r.error for r in timed_out.records} == {"ReadTimeout"}
    # the read timeout fires at timeout_s after the request was sent; allow 0.5 s for scheduling
    assert all(0.3 <= r.latency_s < 0.8 for r in timed_out.records)


CAPTURE = Capture(headers=frozenset({"content-type", "x-absent"}),
                  json_paths=frozenset(path(p) for p in ("ok", "degraded", "n", "ratio", "none", "text", "nested",
                                                           "nested.a", "items", "items[1]", "missing", "[0]",
                                                           "flag", "looks", "status")),
                  patterns=frozenset({"x{3}", "blob"}))


def test_answers_keep_only_what_the_capture_asks_for(server: ObservedServer, timeline: Timeline) -> None:
    specs = [RequestSpec(method="GET", path=p, label=p, capture=CAPTURE)
             for p in ("/ok", "/big", "/list", "/text", "/status/503")]
    specs.append(RequestSpec(method="GET", path="/ok", label="uncaptured"))
    spec = load("/ok", requests=specs, max_requests=6, rate_per_s=100, concurrency=6, body_limit_bytes=4096)
    with LoadGenerator(server.url, spec, timeline) as gen:
        gen.wait(timeout_s=10)
    by_label: dict[str, RequestDone] = {r.label: r for r in timeline.requests()}
    assert dict(by_label["/ok"].seen or {}) == {
        "header:content-type": "application/json; charset=utf-8",
        "json:ok": True, "json:degraded": False, "json:n": 3, "json:ratio": 0.5,
        "json:none": None,                             # JSON null is kept: present, unlike "missing"
        "json:text": "x" * 200,                        # strings are cut to 200 characters
        "json:nested": "<object>", "json:nested.a": 1, "json:items": "<array>", "json:items[1]": 2,
        "match:x{3}": "xxx",
    }
    # over body_limit_bytes (4 KiB here): no JSON value, but the headers, and patterns still search
    # the body's first 64 KiB (TEXT_LIMIT_BYTES), as body_matches is documented to
    big = dict(by_label["/big"].seen or {})
    assert {k for k in big if k.startswith("json:")} == set()
    assert big["header:content-type"] == "application/json; charset=utf-8"
    assert dict(by_label["/list"].seen or {})["json:[0]"] == 1   # an array at the top
    # a JSON body is read whatever its content type says (text/plain here)
    assert dict(by_label["/text"].seen or {}) == {"header:content-type": "text/plain; charset=utf-8",
                                                  "json:looks": "like json"}
    assert by_label["/status/503"].status == 503
    assert dict(by_label["/status/503"].seen or {})["json:status"] == 503
    assert by_label["uncaptured"].seen is None   # nothing asked, nothing kept


def test_post_with_a_json_body(server: ObservedServer, timeline: Timeline) -> None:
    spec = RequestSpec(method="POST", path="/echo", json={"slot": 7, "who": "t"}, label="book",
                       capture=Capture(json_paths=frozenset({path("slot"), path("who")})))
    with LoadGenerator(server.url, load("/ok", requests=[spec], max_requests=1), timeline) as gen:
        (record,) = gen.wait(timeout_s=10).records
    assert record.status == 200
    assert dict(record.seen or {}) == {"json:slot": 7, "json:who": "t"}


def test_fresh_connections_open_one_connection_per_request(
    server: ObservedServer, timeline: Timeline
) -> None:
    for fresh in (True, False):
        server.clear()
        spec = load("/peer", rate_per_s=20, max_requests=6, concurrency=1, fresh_connections=fresh)
        with LoadGenerator(server.url, spec, timeline) as gen:
            gen.wait(timeout_s=10)
        arrivals = server.arrivals_for("/peer")
        ports = {a.peer_port for a in arrivals}
        assert len(arrivals) >= 3  # 6 slots; on a loaded machine a slot may be skipped (concurrency 1)
        if fresh:
            assert len(ports) == len(arrivals)
        else:
            assert len(ports) == 1  # one at a time: the kept-alive connection is reused


def test_misuse_and_unfinished_waits(server: ObservedServer, timeline: Timeline) -> None:
    gen = LoadGenerator(server.url, load("/ok", rate_per_s=10, duration_s=5), timeline)
    gen.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            gen.start()
        with pytest.raises(WaitTimeout, match=r"load generator 'load' to finish: not true after 0\.1 s"):
            gen.wait(timeout_s=0.1)
    finally:
        gen.stop(timeout_s=5)
    assert LoadGenerator(server.url, load("/ok"), timeline).stop().sent == 0  # never started: nothing to stop
