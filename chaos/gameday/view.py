"""The live view of a game day: what the service does right now, from the experiment's timeline.

Pure: a snapshot of the timeline and the clock in, one line of text out, so it is tested on
hand-built histories and redrawn once a second on the operator's terminal.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from chaos.experiment.guards import failed
from chaos.observe import FaultStarted, ProbeResult, Timeline

__all__ = ["READINESS_PROBES", "WINDOW_S", "LiveStats"]

WINDOW_S = 5.0  # rates and percentiles over the last five seconds: recent enough to react to
READINESS_PROBES = ("gameday:ready", "guard:ready", "ready")  # whichever probe of the SUT's /ready ran
NS = 1_000_000_000


def _percentile(values: Sequence[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveStats:
    """The last `WINDOW_S` seconds of load and the state of the faults."""

    requests: int
    rate_per_s: float
    error_rate: float | None        # None: no request in the window
    p50_ms: float | None
    p99_ms: float | None
    ready: bool | None              # None: no readiness probe result yet
    faults: tuple[str, ...]         # active faults, by name
    since_inject_s: float | None    # since the latest active fault was injected
    healed: tuple[str, ...] = ()    # active faults whose effect no longer holds (a restart came back)

    @classmethod
    def of(cls, timeline: Timeline, *, now_ns: int, faults: Sequence[str], window_s: float = WINDOW_S,
           healed: Sequence[str] = ()) -> LiveStats:
        since = now_ns - int(window_s * NS)
        recent = [r for r in timeline.requests() if since <= r.end_ns <= now_ns]
        latencies = sorted(r.latency_s * 1000 for r in recent if not r.not_sent)   # not sent: no latency
        probes = [p for p in timeline.events(ProbeResult) if p.probe in READINESS_PROBES and p.end_ns <= now_ns]
        started = [e for e in timeline.events(FaultStarted) if e.name in faults]
        return cls(
            requests=len(recent),
            rate_per_s=len(recent) / window_s,
            error_rate=sum(1 for r in recent if failed(r)) / len(recent) if recent else None,
            p50_ms=_percentile(latencies, 0.50) if latencies else None,
            p99_ms=_percentile(latencies, 0.99) if latencies else None,
            ready=probes[-1].ok if probes else None,
            faults=tuple(faults),
            since_inject_s=(now_ns - started[-1].at_ns) / NS if started else None,
            healed=tuple(healed),
        )

    def render(self) -> str:
        """One line: `t+12.3 s | 18.4 req/s | errors 12% | p50 4 ms p99 210 ms | ready yes | faults: x`."""
        since = f"t+{self.since_inject_s:.1f} s" if self.since_inject_s is not None else "no fault"
        errors = f"errors {self.error_rate:.0%}" if self.error_rate is not None else "errors -"
        latency = (f"p50 {self.p50_ms:.0f} ms p99 {self.p99_ms:.0f} ms"
                   if self.p50_ms is not None and self.p99_ms is not None else "p50 - p99 -")
        ready = {None: "?", True: "yes", False: "NO"}[self.ready]
        faults = ", ".join(f"{f} (healed itself)" if f in self.healed else f for f in self.faults) or "none"
        return f"{since} | {self.rate_per_s:.1f} req/s | {errors} | {latency} | ready {ready} | faults: {faults}"
