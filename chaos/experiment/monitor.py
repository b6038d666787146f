"""The guard monitor: judges the stop conditions every few hundred ms while an experiment runs.

One daemon thread owned by the experiment (started with its first fault, stopped when it closes)
evaluates every guard against the timeline; the guards that need a URL probed get a `Prober` of
their own writing to the same timeline. The first trip calls `on_trip` once, from this thread: the
experiment then heals every active fault at once and its waits end with `ExperimentAborted`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from chaos.experiment.guards import Guard, ProbeFailing, Trip
from chaos.observe import HttpProbe, Prober, Timeline

__all__ = ["CHECK_INTERVAL_S", "GuardMonitor"]

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 0.2   # a trip is acted on within this (plus a guard's own window)
PROBE_INTERVAL_S = 0.5
PROBE_TIMEOUT_S = 1.0
MAX_WATCH_S = 6 * 3600.0  # a bound, not a plan: a game day may hold a fault for hours


class GuardMonitor:
    """Evaluates `guards` on `timeline` until stopped; `tripped` is the first trip, if any."""

    def __init__(self, timeline: Timeline, guards: Sequence[Guard], *, on_trip: Callable[[Trip], None],
                 interval_s: float = CHECK_INTERVAL_S) -> None:
        self.timeline = timeline
        self.guards = list(guards)
        self.on_trip = on_trip
        self.interval_s = interval_s
        self.tripped: Trip | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-guards", daemon=True)
        probes = [HttpProbe(name=g.probe, url=g.url) for g in self.guards
                  if isinstance(g, ProbeFailing) and g.url is not None]
        self._prober = Prober(timeline, probes, interval_s=PROBE_INTERVAL_S, max_duration_s=MAX_WATCH_S,
                              timeout_s=PROBE_TIMEOUT_S) if probes else None

    def start(self) -> GuardMonitor:
        if self._prober is not None:
            self._prober.start()
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        if self._prober is not None:
            self._prober.stop(timeout_s)

    def check_now(self) -> Trip | None:
        """Evaluate every guard once (the thread does this every `interval_s`)."""
        now = self.timeline.now_ns()
        for guard in self.guards:
            try:
                trip = guard.check(self.timeline, now)
            except Exception:  # a broken guard must not stop the others, nor pass silently
                log.exception("guard %s failed to evaluate", guard.name)
                continue
            if trip is not None:
                return trip
        return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            trip = self.check_now()
            if trip is not None:
                self.tripped = trip
                log.warning("%s", trip.explain())
                self.on_trip(trip)
                return
