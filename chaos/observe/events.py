"""The typed events of a run's history: what happened, stamped on the monotonic clock.

Every event is a frozen dataclass with an `at_ns` instant from `time.monotonic_ns()` (on Linux the
same CLOCK_MONOTONIC in every process, so the fake external API's arrival times fit on the same
axis). As in Jepsen's history, a request is recorded however it ended: with a status, or with the
error kind that stopped it (`"ConnectError"`, `"ReadTimeout"`, `"Cancelled"`, ...), or as
`"NotSent"` when the open-model load generator could not even send it (see `RequestDone`).

Events are values: build them by hand in tests, let the load generator and prober write them, or
add your own instants with `Timeline.mark(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from chaos.answers import SeenValue

__all__ = [
    "EVENT_TYPES",
    "NOT_SENT",
    "Event",
    "FaultEnded",
    "FaultStarted",
    "Gauge",
    "Mark",
    "ProbeResult",
    "ProcessExited",
    "RequestDone",
    "RequestSkipped",
    "UpstreamCall",
]


NOT_SENT: Final = "NotSent"
"""The error kind of a scheduled request the open-model load could not send: its in-flight cap was
reached by earlier requests the service had not answered. Contracts count it as hung
(`chaos.contracts.conditions`)."""


class Event:
    """Base of every timeline event; `at_ns` orders the history."""

    __slots__ = ()

    @property
    def at_ns(self) -> int:
        raise NotImplementedError


def _freeze(seen: Mapping[str, SeenValue] | None) -> Mapping[str, SeenValue] | None:
    return None if seen is None else MappingProxyType(dict(seen))


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDone(Event):
    """One HTTP request from its start to however it ended.

    Exactly one of `status` (an HTTP answer) and `error` (the exception class name, such as
    "ConnectError", "ReadTimeout", "RemoteProtocolError", "Timeout" for the total deadline, or
    "Cancelled" when the load generator was stopped) is set. `seen` holds what the answer showed
    of the headers, JSON paths and body patterns the experiment's answer specs look at (see
    `chaos.answers.capture`), else None.

    Under the open-model load `start_ns` is the request's *intended* start, its slot on the
    schedule, and `sent_ns` when it actually left: latency is measured from the intended start,
    so a late start counts against the service (coordinated omission, as wrk2 and k6 measure).
    `sent_ns` is None where the start is the send (bursts, steady-state checks, closed-model load).
    A slot that could not be sent at all is a `RequestDone` too, with error `NOT_SENT`,
    `start_ns == end_ns` at its intended time and `in_flight` the requests that held the cap.
    """

    label: str
    method: str
    path: str
    start_ns: int
    end_ns: int
    status: int | None = None
    error: str | None = None
    seen: Mapping[str, SeenValue] | None = field(default=None, hash=False)
    sent_ns: int | None = None
    in_flight: int | None = None

    def __post_init__(self) -> None:
        what = f"RequestDone {self.method} {self.path}"
        if (self.status is None) == (self.error is None):
            raise ValueError(
                f"{what}: exactly one of status and error must be set, "
                f"got status={self.status!r} error={self.error!r}"
            )
        if self.end_ns < self.start_ns:
            raise ValueError(f"{what}: end_ns before start_ns")
        if self.sent_ns is not None and not self.start_ns <= self.sent_ns <= self.end_ns:
            raise ValueError(f"{what}: sent_ns must lie in [start_ns, end_ns]")
        if (self.in_flight is not None) != (self.error == NOT_SENT):
            raise ValueError(f"{what}: in_flight is set exactly when error is {NOT_SENT!r}, "
                             f"got in_flight={self.in_flight!r} error={self.error!r}")
        if self.in_flight is not None and (self.in_flight < 0 or self.end_ns != self.start_ns
                                           or self.sent_ns is not None):
            raise ValueError(f"{what}: a request not sent has in_flight >= 0, no sent_ns and "
                             "end_ns == start_ns (its intended start)")
        object.__setattr__(self, "seen", _freeze(self.seen))

    @property
    def at_ns(self) -> int:
        """When the outcome was known: the end of the request (a request not sent: its intended start)."""
        return self.end_ns

    @property
    def latency_s(self) -> float:
        """From the (intended) start to the end: what the client waited."""
        return (self.end_ns - self.start_ns) / 1e9

    @property
    def late_s(self) -> float:
        """How long after its intended start the request was actually sent (0 when not known)."""
        return 0.0 if self.sent_ns is None else (self.sent_ns - self.start_ns) / 1e9

    @property
    def not_sent(self) -> bool:
        return self.error == NOT_SENT

    def outcome_text(self) -> str:
        """How it ended, for evidence lines: "503 in 0.012 s", "ReadTimeout after 2.003 s",
        "not sent: 12 in flight"."""
        if self.status is not None:
            return f"{self.status} in {self.latency_s:.3f} s"
        if self.in_flight is not None:
            return f"not sent: {self.in_flight} in flight"
        return f"{self.error} after {self.latency_s:.3f} s"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSkipped(Event):
    """A closed-model load slot that was due while all `concurrency` requests were in flight.

    By design, not a failure: the closed model keeps at most `concurrency` requests in flight, and
    contracts do not judge what it chose not to send (the open model records `NOT_SENT` instead)."""

    label: str
    at_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultStarted(Event):
    """A fault was injected (the instant the injection returned)."""

    name: str
    at_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultEnded(Event):
    """A fault was healed (the instant the revert returned)."""

    name: str
    at_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult(Event):
    """One probe: an HTTP check (`status` set unless a transport `error`) or a callable check.

    `at_ns` is the probe's start; the state it saw held somewhere in [start_ns, end_ns].
    """

    probe: str
    ok: bool
    start_ns: int
    end_ns: int
    status: int | None = None
    error: str | None = None
    seen: Mapping[str, SeenValue] | None = field(default=None, hash=False)   # as RequestDone.seen

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", _freeze(self.seen))

    @property
    def at_ns(self) -> int:
        return self.start_ns

    @property
    def latency_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessExited(Event):
    """A watched process ended; `exit_code` is negative when a signal killed it (subprocess style)."""

    pid: int
    exit_code: int
    at_ns: int
    process: str = "sut"


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark(Event):
    """A named instant the experiment wants on the record ("sigterm sent", "db back")."""

    name: str
    at_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamCall(Event):
    """A call that reached the fake external API, as its log saw it (`status` None: hung or reset)."""

    seq: int
    method: str
    path: str
    arrival_ns: int
    status: int | None = None
    upstream: str = ""   # which fake API (the dependency's name) it reached

    @property
    def at_ns(self) -> int:
        return self.arrival_ns


@dataclass(frozen=True, slots=True, kw_only=True)
class Gauge(Event):
    """A sampled quantity, e.g. the SUT's open DB connections (`name="db_connections"`)."""

    name: str
    value: float
    at_ns: int


EVENT_TYPES: Final[Mapping[str, type[Event]]] = MappingProxyType({
    cls.__name__: cls
    for cls in (
        RequestDone, RequestSkipped, FaultStarted, FaultEnded, ProbeResult,
        ProcessExited, Mark, UpstreamCall, Gauge,
    )
})
"""Event class by name: the `type` tag of the serialised form."""
