"""One append-only, thread-safe history of a run, plus the queries contracts ask of it.

The load generator, the prober, the faults and the experiment all append to the same `Timeline`
from their own threads; contracts read it afterwards. Instants are `time.monotonic_ns()` values;
the anchor (one monotonic instant and the wall-clock time taken at the same moment) turns them into
offsets ("+3.250 s") for messages and into wall times for reports.

    tl = Timeline()
    tl.fault_started("db_down", detail="proxy postgres disabled")
    ...
    tl.fault_ended("db_down")
    during = tl.requests(label="list", started_between=tl.fault_window("db_down"))
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

from chaos.observe.events import (
    Event,
    FaultEnded,
    FaultStarted,
    Mark,
    ProbeResult,
    RequestDone,
)
from chaos.observe.window import Window

__all__ = ["Span", "Timeline"]

E = TypeVar("E", bound=Event)

Span = Window | tuple[int, int | None]
"""A Window or a plain `(start_ns, end_ns)` pair (`end_ns=None`: open-ended)."""


class Timeline:
    """Append-only history of typed events; safe to append from any thread.

    `clock_ns` and `wall_clock` are injectable so tests can build deterministic histories;
    everything that stamps events on this timeline uses `now_ns()`.
    """

    def __init__(
        self,
        *,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        wall_clock: Callable[[], float] = time.time,
        anchor_ns: int | None = None,
        anchor_wall_s: float | None = None,
    ) -> None:
        self._clock_ns = clock_ns
        self.anchor_ns: int = clock_ns() if anchor_ns is None else anchor_ns
        """The monotonic instant that offsets are measured from (offset 0)."""
        self.anchor_wall_s: float = wall_clock() if anchor_wall_s is None else anchor_wall_s
        """Wall-clock time (epoch seconds) at `anchor_ns`."""
        self._events: list[Event] = []
        self._lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------------

    def now_ns(self) -> int:
        """The timeline's clock; stamp your own events with it."""
        return self._clock_ns()

    def append(self, event: Event) -> None:
        if not isinstance(event, Event):
            raise TypeError(f"Timeline.append expects an Event, got {type(event).__name__}")
        with self._lock:
            self._events.append(event)

    def mark(self, name: str, detail: str = "") -> Mark:
        """Record a named instant now ("sigterm sent", "db back") and return it."""
        event = Mark(name=name, at_ns=self.now_ns(), detail=detail)
        self.append(event)
        return event

    def fault_started(self, name: str, detail: str = "") -> FaultStarted:
        event = FaultStarted(name=name, at_ns=self.now_ns(), detail=detail)
        self.append(event)
        return event

    def fault_ended(self, name: str, detail: str = "") -> FaultEnded:
        event = FaultEnded(name=name, at_ns=self.now_ns(), detail=detail)
        self.append(event)
        return event

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    @overload
    def events(self) -> list[Event]: ...
    @overload
    def events(self, kind: type[E]) -> list[E]: ...

    def events(self, kind: type[Any] = Event) -> list[Any]:
        """A snapshot of the events (of one type if given), ordered by `at_ns`, ties in append order."""
        with self._lock:
            snapshot = [e for e in self._events if isinstance(e, kind)]
        snapshot.sort(key=lambda e: e.at_ns)
        return snapshot

    def requests(
        self,
        *,
        label: str | None = None,
        started_between: Span | None = None,
        ended_between: Span | None = None,
    ) -> list[RequestDone]:
        """Requests (of one label if given) whose start / end lie in the given spans, by start time."""
        started = None if started_between is None else Window.of(started_between)
        ended = None if ended_between is None else Window.of(ended_between)
        found = [
            r for r in self.events(RequestDone)
            if (label is None or r.label == label)
            and (started is None or started.contains(r.start_ns))
            and (ended is None or ended.contains(r.end_ns))
        ]
        found.sort(key=lambda r: r.start_ns)
        return found

    def probes(self, name: str | None = None, *, between: Span | None = None) -> list[ProbeResult]:
        """Probe results (of one probe if given) that started within `between`, in start order."""
        window = None if between is None else Window.of(between)
        return [
            p for p in self.events(ProbeResult)
            if (name is None or p.probe == name) and (window is None or window.contains(p.start_ns))
        ]

    def marks(self, name: str | None = None) -> list[Mark]:
        return [m for m in self.events(Mark) if name is None or m.name == name]

    def mark_ns(self, name: str) -> int:
        """The instant of the first mark called `name`; LookupError naming the marks there are."""
        found = self.marks(name)
        if not found:
            known = sorted({m.name for m in self.marks()})
            raise LookupError(f"no mark {name!r} on the timeline (marks: {known or 'none'})")
        return found[0].at_ns

    def fault_windows(self, name: str | None = None) -> list[Window]:
        """Each fault's [start, heal] window, in start order; a fault never healed is open-ended.

        Starts and ends pair up per fault name, first in first out, so one fault injected twice
        gives two windows.
        """
        pending: dict[str, list[FaultStarted]] = {}
        windows: list[Window] = []
        for event in self.events():
            if isinstance(event, FaultStarted):
                pending.setdefault(event.name, []).append(event)
            elif isinstance(event, FaultEnded) and pending.get(event.name):
                start = pending[event.name].pop(0)
                windows.append(Window(start_ns=start.at_ns, end_ns=event.at_ns, name=event.name))
        windows.extend(
            Window(start_ns=s.at_ns, end_ns=None, name=s.name) for starts in pending.values() for s in starts
        )
        windows.sort(key=lambda w: w.start_ns)
        return [w for w in windows if name is None or w.name == name]

    def fault_window(self, name: str | None = None) -> Window:
        """The one fault window (of `name`); ValueError if there is none or more than one."""
        windows = self.fault_windows(name)
        if len(windows) != 1:
            what = f"fault {name!r}" if name else "fault"
            raise ValueError(f"expected exactly one {what} window on the timeline, found {len(windows)}")
        return windows[0]

    def last_ns(self) -> int:
        """The latest instant recorded (an event's at_ns or a request's end), or the anchor if empty."""
        with self._lock:
            snapshot = list(self._events)
        return max((e.at_ns for e in snapshot), default=self.anchor_ns)

    # -- time conversions ------------------------------------------------------------------------

    def offset_s(self, ns: int) -> float:
        """Seconds from the anchor to `ns` (what messages and reports show as "+3.250 s")."""
        return (ns - self.anchor_ns) / 1e9

    def wall_time_s(self, ns: int) -> float:
        """Epoch seconds of a monotonic instant, through the anchor."""
        return self.anchor_wall_s + self.offset_s(ns)
