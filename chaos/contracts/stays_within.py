"""`stays_within`: a sampled quantity (e.g. the SUT's DB connections) never exceeds a limit."""

from __future__ import annotations

from chaos.contracts._evidence import at, listing, verdict, window_text
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Gauge, Span, Timeline, Window

__all__ = ["stays_within"]


def stays_within(timeline: Timeline, *, gauge: str, max_value: float, window: Span) -> Verdict:
    """PASSED when every `Gauge` sample named `gauge` in `window` is <= `max_value`.

    INCONCLUSIVE with no sample in the window. Figures: samples, max_seen, max_value.
    """
    win = Window.of(window)
    samples = [g for g in timeline.events(Gauge) if g.name == gauge and win.contains(g.at_ns)]
    where = window_text(timeline, win)
    if not samples:
        return verdict("stays_within", Status.INCONCLUSIVE, f"no {gauge!r} sample in {where}",
                       samples=0, max_value=max_value)
    over = [g for g in samples if g.value > max_value]
    figures = {"samples": len(samples), "max_seen": max(g.value for g in samples), "max_value": max_value}
    if over:
        return verdict("stays_within", Status.FAILED,
                       f"{gauge} reached {figures['max_seen']:g} in {where}, over the limit of {max_value:g} "
                       f"({len(over)} of {len(samples)} samples)",
                       listing(over, lambda g: f"{at(timeline, g.at_ns)} {gauge} = {g.value:g}"), **figures)
    return verdict("stays_within", Status.PASSED,
                   f"{gauge} stayed at most {figures['max_seen']:g} (limit {max_value:g}) "
                   f"over {len(samples)} samples in {where}", **figures)
