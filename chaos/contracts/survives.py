"""`survives`: the process stays up through a window (a pool error, a dependency outage, ...)."""

from __future__ import annotations

from chaos.contracts._evidence import at, listing, probe_line, verdict, window_text
from chaos.contracts.verdict import Status, Verdict
from chaos.exits import exited
from chaos.observe import ProcessExited, Span, Timeline, Window

__all__ = ["survives"]


def survives(timeline: Timeline, *, window: Span, probe: str = "alive", process: str = "sut") -> Verdict:
    """PASSED when no `ProcessExited` of `process` falls in `window` and every `probe` result there is ok.

    Without a single `probe` result in the window nothing shows the process was watched, so the
    verdict is INCONCLUSIVE rather than a pass. Figures: probes, failed_probes, exits.
    """
    win = Window.of(window)
    where = window_text(timeline, win)
    exits = [e for e in timeline.events(ProcessExited) if e.process == process and win.contains(e.at_ns)]
    probes = timeline.probes(probe, between=win)
    failed = [p for p in probes if not p.ok]
    figures = {"probes": len(probes), "failed_probes": len(failed), "exits": len(exits)}
    if exits:
        first = exits[0]
        return verdict(
            "survives", Status.FAILED,
            f"{process} (pid {first.pid}) {exited(first.exit_code)} at {at(timeline, first.at_ns)}, "
            f"inside {where}",
            [f"{at(timeline, e.at_ns)} {e.process} pid {e.pid} {exited(e.exit_code)}" for e in exits]
            + list(listing(failed, lambda p: probe_line(timeline, p))),
            **figures,
        )
    if failed:
        return verdict(
            "survives", Status.FAILED,
            f"{len(failed)} of {len(probes)} {probe!r} probes failed in {where}",
            listing(failed, lambda p: probe_line(timeline, p)),
            **figures,
        )
    if not probes:
        return verdict(
            "survives", Status.INCONCLUSIVE,
            f"no {probe!r} probe ran in {where}: nothing shows {process} was watched",
            **figures,
        )
    return verdict(
        "survives", Status.PASSED,
        f"{process} stayed up: {len(probes)} {probe!r} probes ok and no exit in {where}",
        **figures,
    )
