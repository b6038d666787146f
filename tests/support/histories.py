"""Hand-built histories for the contract tests: times in seconds from the anchor (instant 0)."""

from __future__ import annotations

from collections.abc import Mapping

from chaos.answers import SeenValue
from chaos.observe import (
    NOT_SENT,
    FaultEnded,
    FaultStarted,
    Gauge,
    Mark,
    ProbeResult,
    ProcessExited,
    RequestDone,
    Timeline,
    UpstreamCall,
    Window,
)

S = 1_000_000_000


def ns(seconds: float) -> int:
    return round(seconds * S)


class History:
    """A timeline anchored at monotonic 0, filled by seconds-based helpers."""

    def __init__(self) -> None:
        self.tl = Timeline(clock_ns=lambda: 0, anchor_ns=0, anchor_wall_s=1_700_000_000.0)
        self._seq = 0

    def req(
        self,
        start_s: float,
        latency_s: float = 0.01,
        status: int | None = 200,
        *,
        error: str | None = None,
        label: str = "api",
        seen: Mapping[str, SeenValue] | None = None,
    ) -> RequestDone:
        record = RequestDone(
            label=label, method="GET", path=f"/{label}", start_ns=ns(start_s), end_ns=ns(start_s + latency_s),
            status=None if error else status, error=error, seen=seen,
        )
        self.tl.append(record)
        return record

    def not_sent(self, at_s: float, in_flight: int = 8, *, label: str = "api") -> RequestDone:
        """A slot the open-model load could not send at `at_s`: `in_flight` requests held its cap."""
        record = RequestDone(label=label, method="GET", path=f"/{label}", start_ns=ns(at_s), end_ns=ns(at_s),
                             error=NOT_SENT, in_flight=in_flight)
        self.tl.append(record)
        return record

    def steady(self, start_s: float, end_s: float, every_s: float = 0.1, **kwargs: object) -> None:
        """One request every `every_s` in [start_s, end_s)."""
        t = start_s
        while t < end_s - 1e-9:
            self.req(round(t, 6), **kwargs)  # type: ignore[arg-type]
            t += every_s

    def probe(self, name: str, at_s: float, ok: bool, status: int | None = None, *,
              latency_s: float = 0.005, error: str | None = None,
              seen: Mapping[str, SeenValue] | None = None) -> None:
        self.tl.append(ProbeResult(probe=name, ok=ok, start_ns=ns(at_s), end_ns=ns(at_s + latency_s),
                                   status=status, error=error, seen=seen))

    def probes(self, name: str, start_s: float, end_s: float, *, every_s: float = 0.1,
               ok: bool = True, status: int | None = 200, error: str | None = None) -> None:
        t = start_s
        while t < end_s - 1e-9:
            self.probe(name, round(t, 6), ok, status, error=error)
            t += every_s

    def fault(self, start_s: float, end_s: float | None, name: str = "db_down") -> Window:
        self.tl.append(FaultStarted(name=name, at_ns=ns(start_s)))
        if end_s is not None:
            self.tl.append(FaultEnded(name=name, at_ns=ns(end_s)))
        return self.tl.fault_window(name)

    def mark(self, name: str, at_s: float) -> int:
        self.tl.append(Mark(name=name, at_ns=ns(at_s)))
        return ns(at_s)

    def exit(self, at_s: float, code: int, pid: int = 4242) -> None:
        self.tl.append(ProcessExited(pid=pid, exit_code=code, at_ns=ns(at_s)))

    def call(self, at_s: float, status: int | None = 503, path: str = "/quote") -> None:
        self._seq += 1
        self.tl.append(
            UpstreamCall(seq=self._seq, method="GET", path=path, arrival_ns=ns(at_s), status=status)
        )

    def gauge(self, name: str, at_s: float, value: float) -> None:
        self.tl.append(Gauge(name=name, value=value, at_ns=ns(at_s)))
