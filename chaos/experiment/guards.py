"""Stop conditions: guard probes judged live from the timeline while an experiment runs.

A guard is a pure check of the history so far (like a contract, but asked "is it time to stop?"
every few hundred ms instead of "did it hold?" at the end). When one trips, the experiment heals
every active fault at once and is reported as aborted with the guard's evidence, in CI as in a game
day. Guards come from the target file's `[guards]` table (chaos.targetfile.GuardSpec) or from the
experiment's code (`experiment.guard(ErrorRateAbove(above=0.5, for_s=5))`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chaos.observe import ProbeResult, RequestDone, Timeline
from chaos.targetfile import GuardSpec

__all__ = ["ErrorRateAbove", "Guard", "ProbeFailing", "Trip", "failed", "guards_from_target", "readiness_down"]

NS = 1_000_000_000
MIN_REQUESTS = 5  # an error rate over fewer requests is noise, not a reason to stop an experiment


@dataclass(frozen=True, slots=True, kw_only=True)
class Trip:
    """A guard that tripped: which, when (timeline ns) and the evidence that made it trip."""

    guard: str
    at_ns: int
    summary: str
    evidence: tuple[str, ...] = ()
    kind: str = "stop condition"   # or "command": a declared command failed (attach mode)

    @property
    def who(self) -> str:
        """What stopped the run, for notes: "stop condition error_rate>50%/5s", "command stop postgres"."""
        return "the operator" if self.guard == "operator" else f"{self.kind} {self.guard}"

    def explain(self) -> str:
        return "\n".join([f"{self.kind} {self.guard}: {self.summary}", *(f"  {e}" for e in self.evidence)])


class Guard(Protocol):
    """One stop condition; `check` is pure: the timeline so far and now, nothing else."""

    @property
    def name(self) -> str: ...

    def check(self, timeline: Timeline, now_ns: int) -> Trip | None: ...


def failed(request: RequestDone) -> bool:
    """A failed request: a transport error (timeout, refused, reset) or a 5xx answer."""
    return request.error is not None or (request.status is not None and request.status >= 500)


def _at(timeline: Timeline, ns: int) -> str:
    return f"t+{timeline.offset_s(ns):.2f} s"


def _outcome(r: RequestDone) -> str:
    return str(r.status) if r.status is not None else str(r.error)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorRateAbove:
    """More than `above` (a fraction) of the requests that ended in the last `for_s` seconds failed,
    counted only once the experiment's requests span that long (and at least MIN_REQUESTS ended)."""

    above: float
    for_s: float
    label: str | None = None   # only requests of this load label; None: every request

    @property
    def name(self) -> str:
        return f"error_rate>{self.above:.0%}/{self.for_s:g}s"

    def check(self, timeline: Timeline, now_ns: int) -> Trip | None:
        requests = timeline.requests(label=self.label)
        if not requests or now_ns - requests[0].start_ns < self.for_s * NS:
            return None  # not watched long enough to speak of "for_s seconds"
        since = now_ns - int(self.for_s * NS)
        recent = [r for r in requests if since <= r.end_ns <= now_ns]
        bad = [r for r in recent if failed(r)]
        if len(recent) < MIN_REQUESTS or len(bad) <= self.above * len(recent):
            return None
        evidence = [f"{r.method} {r.path} -> {_outcome(r)} at {_at(timeline, r.end_ns)}" for r in bad[:5]]
        return Trip(guard=self.name, at_ns=now_ns, evidence=tuple(evidence),
                    summary=(f"{len(bad)}/{len(recent)} requests ({len(bad) / len(recent):.0%}) failed between "
                             f"{_at(timeline, since)} and {_at(timeline, now_ns)}, above {self.above:.0%}"))


def _down_since(results: list[ProbeResult]) -> ProbeResult | None:
    """The first of the trailing run of failed results, if the latest result failed."""
    first = None
    for result in reversed(results):
        if result.ok:
            break
        first = result
    return first


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeFailing:
    """Probe `probe` (a name on the timeline: "ready", "health", or a guard's own probe) has failed
    every time for longer than `for_s` seconds."""

    probe: str
    for_s: float
    url: str | None = None  # probed by the guard monitor itself (GET, 200 = ok) under the name `probe`

    @property
    def name(self) -> str:
        return f"{self.probe}_failing>{self.for_s:g}s"

    def check(self, timeline: Timeline, now_ns: int) -> Trip | None:
        results = timeline.probes(self.probe)
        first = _down_since(results)
        if first is None or now_ns - first.start_ns <= self.for_s * NS:
            return None
        last = results[-1]
        seen = last.status if last.status is not None else last.error
        return Trip(guard=self.name, at_ns=now_ns,
                    summary=(f"probe {self.probe} failing since {_at(timeline, first.start_ns)} "
                             f"({(now_ns - first.start_ns) / NS:.1f} s, limit {self.for_s:g} s)"),
                    evidence=(f"last result at {_at(timeline, last.end_ns)}: {seen}",))


def readiness_down(*, longer_than_s: float, url: str) -> ProbeFailing:
    """The SUT's readiness URL failing for longer than that (probed by the guard monitor)."""
    return ProbeFailing(probe="guard:ready", for_s=longer_than_s, url=url)


def guards_from_target(spec: GuardSpec, *, ready_url: str) -> list[Guard]:
    """The checks for a target file's `[guards]` (`ready_url`: the SUT's readiness URL)."""
    guards: list[Guard] = []
    if spec.error_rate is not None:
        guards.append(ErrorRateAbove(above=spec.error_rate.above, for_s=spec.error_rate.for_s))
    if spec.readiness is not None:
        guards.append(readiness_down(longer_than_s=spec.readiness.down_longer_than_s, url=ready_url))
    guards.extend(ProbeFailing(probe=f"guard:{p.name}", for_s=p.failing_for_s, url=p.url) for p in spec.probes)
    return guards
