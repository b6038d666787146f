"""The open model against a real HTTP server that hangs, beside the closed model it replaces.

The server's /gated route accepts each request and answers nothing while its gate is closed. With
`concurrency` requests at a time (closed), the first few hang and the slots behind them are never
sent: the hang shows as a handful of slow requests (coordinated omission). The open model sends
every scheduled request on time and the hang shows in full. Timing tolerances are wide (2 shared
cores); each says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from support.answers import HEALTHY, OK
from support.http_server import ObservedServer

from chaos.contracts import Status, all_succeed, bounded, fails_fast
from chaos.contracts._evidence import request_line
from chaos.observe import LoadGenerator, LoadModel, LoadSpec, RequestSkipped, RequestSpec, Timeline
from chaos.observe._http import send_recorded

WHOLE_RUN = (0, None)


def gated(**overrides: object) -> LoadSpec:
    values: dict[str, object] = {
        "requests": [RequestSpec.parse("GET /gated", label="g")], "rate_per_s": 10.0,
        "max_requests": 1000, "duration_s": 1.0, "timeout_s": 2.0,
    }
    values.update(overrides)
    return LoadSpec(**values)  # type: ignore[arg-type]


@pytest.fixture
def hung(server: ObservedServer) -> Iterator[ObservedServer]:
    """The server with its gate closed for the test: /gated answers nothing."""
    server.close_gate()
    try:
        yield server
    finally:
        server.open_gate()


def run(server: ObservedServer, spec: LoadSpec, timeline: Timeline) -> None:
    with LoadGenerator(server.url, spec, timeline) as gen:
        gen.wait(timeout_s=spec.max_run_s + 5)


def test_a_hang_longer_than_the_timeout_is_sent_in_full(hung: ObservedServer) -> None:
    # 10 slots in 1 s, each hanging until its 2 s read timeout
    closed, open_ = Timeline(), Timeline()
    run(hung, gated(model=LoadModel.CLOSED, concurrency=4), closed)
    closed_arrivals = len(hung.arrivals_for("/gated"))
    hung.clear()
    hung.close_gate()
    run(hung, gated(), open_)
    # closed: 4 sent, the 6 slots behind them skipped and judged by no one
    assert closed_arrivals == 4
    assert len(closed.requests()) == 4
    assert len(closed.events(RequestSkipped)) == 6
    # open (default cap ceil(10 x 4 s) + 1 = 41, no more than the 10 slots): every slot sent and hung
    assert len(hung.arrivals_for("/gated")) == 10
    assert [r.error for r in open_.requests()] == ["ReadTimeout"] * 10
    verdict = bounded(open_, window=WHOLE_RUN, budget_s=0.5, label="g")
    assert verdict.status is Status.FAILED
    assert (verdict.figures["requests"], verdict.figures["over_budget"]) == (10, 10)
    assert bounded(closed, window=WHOLE_RUN, budget_s=0.5, label="g").figures["requests"] == 4


def test_an_explicit_cap_records_the_rest_as_not_sent_and_every_contract_counts_them(
    hung: ObservedServer,
) -> None:
    timeline = Timeline()
    run(hung, gated(concurrency=4), timeline)
    assert len(hung.arrivals_for("/gated")) == 4
    requests = timeline.requests(label="g")
    unsent = [r for r in requests if r.not_sent]
    assert len(requests) == 10                            # every slot is on the record
    assert len(unsent) == 6
    assert all(r.in_flight == 4 for r in unsent)
    for verdict in (bounded(timeline, window=WHOLE_RUN, budget_s=0.5, label="g"),
                    fails_fast(timeline, window=WHOLE_RUN, budget_s=0.5, healthy=HEALTHY, label="g"),
                    all_succeed(timeline, window=WHOLE_RUN, answer=OK, label="g")):
        assert verdict.status is Status.FAILED, verdict.explain()
        assert "10" in verdict.summary, verdict.summary    # all 10 judged: 4 timeouts, 6 not sent
    lines = bounded(timeline, window=WHOLE_RUN, budget_s=0.5, label="g").evidence
    assert any(line.endswith("-> not sent: 4 in flight") for line in lines), lines


def test_a_stall_the_closed_model_hides_fails_the_open_model(server: ObservedServer) -> None:
    """A 1 s stall in a 3 s run at 10/s, judged by p90 <= 0.3 s. Closed (2 at a time), 2 requests
    wait through it and the ~9 slots behind them are skipped: p90 passes. Open, the ~10 slots of
    the stall are sent on time and wait, their latency counted from the intended start: it fails."""
    verdicts = {}
    for model, concurrency in ((LoadModel.CLOSED, 2), (LoadModel.OPEN, None)):
        server.clear()
        server.close_gate()
        timeline = Timeline()
        spec = gated(model=model, concurrency=concurrency, duration_s=3.0, timeout_s=5.0)
        with LoadGenerator(server.url, spec, timeline) as gen:
            deadline = time.monotonic() + 5
            while not server.arrivals_for("/gated") and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(1.0)   # the stall: 1 s from the first arrival
            server.open_gate()
            stats = gen.wait(timeout_s=spec.max_run_s + 5)
        verdicts[model] = (stats, bounded(timeline, window=WHOLE_RUN, budget_s=0.3, label="g", percentile=90))
    closed_stats, closed = verdicts[LoadModel.CLOSED]
    open_stats, open_ = verdicts[LoadModel.OPEN]
    # closed: 2 slow requests among ~21; 8..10 slots skipped (a loop lagging on a busy machine may
    # shift one slot in or out of the stall)
    assert closed.status is Status.PASSED, closed.explain()
    assert 7 <= closed_stats.skipped <= 10
    assert closed.figures["over_budget"] <= 3
    # open: all 30 slots sent (a lagging loop may lose the last one at the time limit), ~7 of them
    # (stalled more than 0.3 s) over budget
    assert open_.status is Status.FAILED, open_.explain()
    assert open_stats.sent >= 29
    assert (open_stats.skipped, open_stats.not_sent) == (0, 0)
    assert open_.figures["over_budget"] >= 5


def test_latency_counts_from_the_intended_start(server: ObservedServer) -> None:
    """A request sent 0.3 s after its slot (a loop that lagged) carries those 0.3 s in its latency,
    and its evidence says so."""
    timeline = Timeline()

    async def late_send() -> None:
        async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
            await send_recorded(client, RequestSpec.parse("GET /ok"), timeline, deadline_s=5.0,
                                intended_ns=timeline.now_ns() - 300_000_000)

    asyncio.run(late_send())
    [record] = timeline.requests()
    assert record.status == 200
    assert record.late_s >= 0.3
    assert record.latency_s >= 0.3                 # the answer itself takes ms
    assert record.sent_ns is not None
    assert record.start_ns < record.sent_ns <= record.end_ns
    assert f"(sent {record.late_s:.3f} s late)" in request_line(timeline, record)
