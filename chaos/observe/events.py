"""The typed events of a run's history: what happened, stamped on the monotonic clock.

Every event is a frozen dataclass with an `at_ns` instant from `time.monotonic_ns()` (on Linux the
same CLOCK_MONOTONIC in every process, so the fake external API's arrival times fit on the same
axis). As in Jepsen's history, a request is recorded however it ended: with a status, or with the
error kind that stopped it (`"ConnectError"`, `"ReadTimeout"`, `"Cancelled"`, ...).

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
    """

    label: str
    method: str
    path: str
    start_ns: int
    end_ns: int
    status: int | None = None
    error: str | None = None
    seen: Mapping[str, SeenValue] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if (self.status is None) == (self.error is None):
            raise ValueError(
                f"RequestDone {self.method} {self.path}: exactly one of status and error must be set, "
                f"got status={self.status!r} error={self.error!r}"
            )
        if self.end_ns < self.start_ns:
            raise ValueError(f"RequestDone {self.method} {self.path}: end_ns before start_ns")
        object.__setattr__(self, "seen", _freeze(self.seen))

    @property
    def at_ns(self) -> int:
        """When the outcome was known: the end of the request."""
        return self.end_ns

    @property
    def latency_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSkipped(Event):
    """A load slot that was due but not sent because `concurrency` requests were already in flight."""

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
