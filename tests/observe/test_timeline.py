"""Timeline: append-only typed events, queries, fault windows, offsets; safe across threads."""

from __future__ import annotations

import threading

import pytest

from chaos.observe import (
    FaultEnded,
    FaultStarted,
    Mark,
    ProbeResult,
    RequestDone,
    Timeline,
    Window,
)

S = 1_000_000_000


def req(start_s: float, end_s: float, label: str = "a", status: int | None = 200,
        error: str | None = None) -> RequestDone:
    return RequestDone(label=label, method="GET", path="/x", start_ns=int(start_s * S), end_ns=int(end_s * S),
                       status=status, error=error)


class FakeClock:
    def __init__(self, ns: int = 10 * S) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


def test_anchor_and_offsets_come_from_the_injected_clocks() -> None:
    clock = FakeClock(10 * S)
    tl = Timeline(clock_ns=clock, wall_clock=lambda: 1000.0)
    assert tl.anchor_ns == 10 * S
    assert tl.anchor_wall_s == 1000.0
    clock.ns = 12_500_000_000
    mark = tl.mark("db back", detail="pid 42")
    assert mark == Mark(name="db back", at_ns=12_500_000_000, detail="pid 42")
    assert tl.offset_s(mark.at_ns) == pytest.approx(2.5)
    assert tl.wall_time_s(mark.at_ns) == pytest.approx(1002.5)
    assert tl.mark_ns("db back") == 12_500_000_000


def test_events_are_ordered_by_instant_and_filtered_by_type() -> None:
    tl = Timeline(anchor_ns=0, anchor_wall_s=0.0)
    late = req(1.0, 3.0)  # appended first, ends last
    early = req(1.5, 2.0)
    tl.append(late)
    tl.append(early)
    tl.append(Mark(name="m", at_ns=int(2.5 * S)))
    assert tl.events() == [early, Mark(name="m", at_ns=int(2.5 * S)), late]
    assert tl.events(RequestDone) == [early, late]
    assert tl.requests() == [late, early]  # requests come in start order
    assert len(tl) == 3
    assert list(tl) == tl.events()
    assert tl.last_ns() == 3 * S


def test_request_queries_by_label_and_spans() -> None:
    tl = Timeline(anchor_ns=0, anchor_wall_s=0.0)
    a, b, c = req(1.0, 1.1, "a"), req(2.0, 4.0, "b"), req(3.0, 3.1, "a")
    for r in (a, b, c):
        tl.append(r)
    assert tl.requests(label="a") == [a, c]
    assert tl.requests(started_between=(int(1.5 * S), int(3.0 * S))) == [b, c]  # closed interval
    assert tl.requests(ended_between=Window(start_ns=int(3.5 * S))) == [b]
    assert tl.requests(label="a", started_between=(2 * S, None)) == [c]


def test_probe_and_mark_queries() -> None:
    tl = Timeline(anchor_ns=0, anchor_wall_s=0.0)
    p1 = ProbeResult(probe="ready", ok=True, start_ns=S, end_ns=S + 5, status=200)
    p2 = ProbeResult(probe="health", ok=True, start_ns=2 * S, end_ns=2 * S + 5, status=200)
    tl.append(p1)
    tl.append(p2)
    assert tl.probes("ready") == [p1]
    assert tl.probes(between=(int(1.5 * S), None)) == [p2]
    with pytest.raises(LookupError, match="no mark 'sigterm'"):
        tl.mark_ns("sigterm")


def test_fault_windows_pair_starts_and_ends_per_name() -> None:
    tl = Timeline(anchor_ns=0, anchor_wall_s=0.0)
    tl.append(FaultStarted(name="db", at_ns=1 * S, detail="proxy disabled"))
    tl.append(FaultStarted(name="redis", at_ns=2 * S))
    tl.append(FaultEnded(name="db", at_ns=3 * S))
    tl.append(FaultStarted(name="db", at_ns=5 * S))
    tl.append(FaultEnded(name="db", at_ns=6 * S))
    assert tl.fault_windows("db") == [
        Window(start_ns=1 * S, end_ns=3 * S, name="db"), Window(start_ns=5 * S, end_ns=6 * S, name="db"),
    ]
    redis = tl.fault_window("redis")
    assert redis == Window(start_ns=2 * S, end_ns=None, name="redis")
    assert not redis.closed
    assert [w.name for w in tl.fault_windows()] == ["db", "redis", "db"]
    with pytest.raises(ValueError, match="exactly one fault 'db' window on the timeline, found 2"):
        tl.fault_window("db")
    with pytest.raises(ValueError, match="found 0"):
        tl.fault_window("nope")


def test_fault_helpers_stamp_now() -> None:
    clock = FakeClock(S)
    tl = Timeline(clock_ns=clock)
    tl.fault_started("latency", "800 ms on postgres")
    clock.ns = 4 * S
    tl.fault_ended("latency")
    window = tl.fault_window("latency")
    assert (window.start_ns, window.end_ns, window.duration_s) == (S, 4 * S, 3.0)


def test_appending_from_many_threads_loses_nothing() -> None:
    tl = Timeline()

    def writer(n: int) -> None:
        for i in range(1000):
            tl.append(Mark(name=f"w{n}", at_ns=i))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(tl) == 4000
    assert all(len(tl.marks(f"w{n}")) == 1000 for n in range(4))


def test_only_events_are_accepted_and_records_are_validated() -> None:
    tl = Timeline()
    with pytest.raises(TypeError, match="expects an Event, got dict"):
        tl.append({"status": 200})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one of status and error"):
        req(1, 2, status=200, error="ReadTimeout")
    with pytest.raises(ValueError, match="exactly one of status and error"):
        req(1, 2, status=None)
    with pytest.raises(ValueError, match="end_ns before start_ns"):
        req(2, 1)


def test_what_a_request_showed_is_frozen_and_readable() -> None:
    shown = {"json:degraded": True}
    record = RequestDone(label="a", method="GET", path="/", start_ns=0, end_ns=5, status=200, seen=shown)
    assert record.seen is not None
    assert record.seen["json:degraded"] is True
    assert "json:missing" not in record.seen
    with pytest.raises(TypeError):
        record.seen["json:degraded"] = False  # type: ignore[index]
    shown["json:degraded"] = False   # a copy was kept: the caller's dict does not reach the record
    assert record.seen["json:degraded"] is True
    probe = ProbeResult(probe="ready", ok=True, start_ns=0, end_ns=1, status=200, seen={"header:x": "1"})
    with pytest.raises(TypeError):
        probe.seen["header:x"] = "2"  # type: ignore[index]
    assert record.latency_s == 5e-9
    assert record.at_ns == 5


def test_window_arithmetic() -> None:
    w = Window(start_ns=S, end_ns=3 * S, name="f")
    assert w.contains(S)
    assert w.contains(3 * S)
    assert not w.contains(3 * S + 1)
    assert w.overlaps(0, S)
    assert not w.overlaps(0, S - 1)
    assert Window(start_ns=S).overlaps(10 * S, 11 * S)
    assert w.shifted(start_s=-0.5, end_s=1.0) == Window(start_ns=S // 2, end_ns=4 * S, name="f")
    assert Window.of((1, None)) == Window(start_ns=1)
    with pytest.raises(ValueError, match="before start_ns"):
        Window(start_ns=2, end_ns=1)
