"""`ready_flips`: liveness stays up while readiness goes down with the dependency and comes back after it."""

from __future__ import annotations

from chaos.answers import Answer, describe, holds
from chaos.contracts._evidence import at, listing, probe_line, verdict, window_text
from chaos.contracts.verdict import Status, Verdict, combine
from chaos.observe import ProbeResult, Timeline, Window

__all__ = ["ready_flips"]


def ready_flips(
    timeline: Timeline,
    *,
    fault: Window,
    flip_within_s: float,
    recover_within_s: float,
    ready_probe: str = "ready",
    live_probe: str = "health",
    not_ready: Answer,
) -> Verdict:
    """Three parts, combined (worst wins):

    - `liveness`: every `live_probe` result from the fault's start on is ok (needs at least one
      during the fault);
    - `flip`: a `ready_probe` answered like `not_ready` (the target's convention; a refused or
      reset connection counts when it says so) within `flip_within_s` of the fault's start (time
      to the end of that probe), and readiness did not answer ok again before the heal (no
      flapping);
    - `recovery`: a `ready_probe` was ok within `recover_within_s` of the heal, and every one
      after it too.

    INCONCLUSIVE when the fault never healed or a part had no probes to judge.
    Figures: liveness.probes / failed, flip.flip_s, recovery.recovery_s, ...
    """
    if fault.end_ns is None:
        return verdict("ready_flips", Status.INCONCLUSIVE,
                       f"{window_text(timeline, fault)} never healed: readiness cannot be seen coming back")
    return combine(
        [
            _liveness(timeline, fault, live_probe),
            _flip(timeline, fault, heal_ns=fault.end_ns, probe=ready_probe, within_s=flip_within_s,
                  not_ready=not_ready),
            _recovery(timeline, fault.end_ns, ready_probe, recover_within_s),
        ],
        contract="ready_flips",
    )


def _liveness(timeline: Timeline, fault: Window, probe: str) -> Verdict:
    probes = timeline.probes(probe, between=(fault.start_ns, None))
    during = [p for p in probes if fault.contains(p.start_ns)]
    failed = [p for p in probes if not p.ok]
    figures = {"probes": len(probes), "failed": len(failed)}
    where = f"from the start of {window_text(timeline, fault)} on"
    if failed:
        return verdict("liveness", Status.FAILED,
                       f"{len(failed)} of {len(probes)} {probe!r} probes failed {where}",
                       listing(failed, lambda p: probe_line(timeline, p)), **figures)
    if not during:
        return verdict("liveness", Status.INCONCLUSIVE,
                       f"no {probe!r} probe ran during {window_text(timeline, fault)}", **figures)
    return verdict("liveness", Status.PASSED, f"all {len(probes)} {probe!r} probes ok {where}", **figures)


def _flip(
    timeline: Timeline, fault: Window, *, heal_ns: int, probe: str, within_s: float, not_ready: Answer
) -> Verdict:
    probes = timeline.probes(probe, between=fault)
    where = window_text(timeline, fault)
    if not probes:
        return verdict("flip", Status.INCONCLUSIVE, f"no {probe!r} probe ran during {where}", probes=0)
    flipped = [p for p in probes if holds(not_ready, p)]
    statuses = describe(not_ready)
    if not flipped:
        return verdict("flip", Status.FAILED,
                       f"{probe!r} never answered {statuses} during {where} ({len(probes)} probes)",
                       listing(probes, lambda p: probe_line(timeline, p)), probes=len(probes))
    first = flipped[0]
    flip_s = (first.end_ns - fault.start_ns) / 1e9
    flapped = [p for p in probes if p.start_ns > first.start_ns and p.ok and p.end_ns <= heal_ns]
    figures = {"probes": len(probes), "flip_s": flip_s, "flip_within_s": within_s, "flapped": len(flapped)}
    problems = []
    if flip_s > within_s:
        problems.append(f"{probe!r} first answered {_outcome(first)} {flip_s:.3f} s after the fault started, "
                        f"over the {within_s:g} s bound")
    if flapped:
        problems.append(f"{probe!r} answered ok again {len(flapped)} times before the heal at "
                        f"{at(timeline, heal_ns)}")
    evidence = [f"first not ready: {probe_line(timeline, first)}"]
    evidence.extend(listing(flapped, lambda p: f"ok again: {probe_line(timeline, p)}"))
    if problems:
        return verdict("flip", Status.FAILED, "; ".join(problems), evidence, **figures)
    return verdict("flip", Status.PASSED,
                   f"{probe!r} answered {_outcome(first)} {flip_s:.3f} s into {where} (bound {within_s:g} s) "
                   "and stayed down until the heal", evidence, **figures)


def _recovery(timeline: Timeline, heal_ns: int, probe: str, within_s: float) -> Verdict:
    probes = timeline.probes(probe, between=(heal_ns, None))
    heal = at(timeline, heal_ns)
    if not probes:
        return verdict("recovery", Status.INCONCLUSIVE, f"no {probe!r} probe ran after the heal at {heal}",
                       probes=0)
    ok = [p for p in probes if p.ok]
    if not ok:
        return verdict("recovery", Status.FAILED,
                       f"{probe!r} never answered ok after the heal at {heal} ({len(probes)} probes)",
                       listing(probes[-3:], lambda p: probe_line(timeline, p)), probes=len(probes))
    first = ok[0]
    recovery_s = (first.end_ns - heal_ns) / 1e9
    relapses = [p for p in probes if p.start_ns > first.start_ns and not p.ok]
    figures = {"probes": len(probes), "recovery_s": recovery_s, "recover_within_s": within_s,
               "relapses": len(relapses)}
    problems = []
    if recovery_s > within_s:
        problems.append(f"{probe!r} was ok again only {recovery_s:.3f} s after the heal at {heal}, "
                        f"over the {within_s:g} s bound")
    if relapses:
        problems.append(f"{probe!r} failed {len(relapses)} times after it had recovered")
    evidence = [f"ready again: {probe_line(timeline, first)}"]
    evidence.extend(listing(relapses, lambda p: f"relapse: {probe_line(timeline, p)}"))
    if problems:
        return verdict("recovery", Status.FAILED, "; ".join(problems), evidence, **figures)
    return verdict("recovery", Status.PASSED,
                   f"{probe!r} ok {recovery_s:.3f} s after the heal at {heal} (bound {within_s:g} s)",
                   evidence, **figures)


def _outcome(probe: ProbeResult) -> str:
    return str(probe.status) if probe.status is not None else str(probe.error)
