"""GameDay: the experiment's checkpoints answered by an operator, with the live view on screen.

    before inject   "inject latency(postgres)? c=continue a=abort"
    during a hold   the view redrawn every second; l=hold 10 s longer, h=heal now, c=continue, a=abort
    before heal     "heal latency(postgres)? c=continue l=hold 10 s longer a=abort"

Abort heals every active fault at once (`Experiment.abort`), as does a tripped stop condition,
which ends any prompt. Every prompt is bounded: with no answer for `max_prompt_s` the experiment is
aborted, so a forgotten terminal never keeps a fault in place. And however the operator holds, an
experiment is aborted (and healed) `max_experiment_s` after its first checkpoint: the game day's
own bound, stated in the pytest header and when each experiment begins. The pytest plugin extends
pytest-timeout's limit by that bound, so the harness never kills a game day at a prompt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaos.experiment.guards import Trip
from chaos.gameday.console import Console
from chaos.gameday.view import LiveStats
from chaos.observe import HttpProbe, Prober

if TYPE_CHECKING:
    from chaos.experiment.run import Experiment
    from chaos.faults import Fault

__all__ = ["HOLD_STEP_S", "MAX_EXPERIMENT_S", "MAX_PROMPT_S", "GameDay", "duration_text"]

HOLD_STEP_S = 10.0       # what "hold longer" adds
REFRESH_S = 1.0          # how often the live view is redrawn
MAX_PROMPT_S = 3600.0    # no answer for an hour: abort (and heal)
MAX_EXPERIMENT_S = 7200.0
"""The game day's bound: two hours after its first checkpoint an experiment is aborted and healed,
however often the operator held longer (`--gameday-max-s` / ini `chaos_gameday_max_s`)."""
PROBE_INTERVAL_S = 0.5


def duration_text(seconds: float) -> str:
    """ "2 h", "1 h 30 min", "45 s": a bound as an operator reads it."""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p) or f"{seconds:g} s"


class GameDay:
    """Checkpoints for one operator at one terminal; one experiment at a time."""

    def __init__(self, console: Console, *, hold_step_s: float = HOLD_STEP_S, refresh_s: float = REFRESH_S,
                 max_prompt_s: float = MAX_PROMPT_S, max_experiment_s: float = MAX_EXPERIMENT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.hold_step_s = hold_step_s
        self.refresh_s = refresh_s
        self.max_prompt_s = max_prompt_s
        self.max_experiment_s = max_experiment_s
        self.clock = clock
        self._heal_now = False
        self._prober: Prober | None = None
        self._current: str | None = None
        self._deadline = float("inf")   # the current experiment's bound (set at its first checkpoint)

    # --- Checkpoints ------------------------------------------------------------------------------

    def before_inject(self, experiment: Experiment, fault: Fault) -> None:
        self._begin(experiment)
        self.console.say(f"[gameday] {experiment.name}: next fault {fault.name}: {fault.intent}")
        answer = self._ask(experiment, f"inject {fault.name}? c=continue a=abort", {"c", "a"}, "before inject")
        if answer == "c":
            self.console.say(f"[gameday] injecting {fault.name}")

    def hold(self, experiment: Experiment, seconds: float) -> None:
        self._begin(experiment)
        if not experiment.active.names():  # no fault in place: a plain wait, abort still possible
            self._watch(experiment, seconds, "waiting", {"a"})
            return
        end = self.clock() + seconds
        self.console.say(f"[gameday] holding for {seconds:g} s: l=hold {self.hold_step_s:g} s longer, "
                         "h=heal now, c=continue, a=abort")
        while experiment.aborted is None:
            remaining = end - self.clock()
            if remaining <= 0:
                return
            command = self._tick(experiment, f"hold {remaining:.0f} s left", min(self.refresh_s, remaining))
            if command == "l":
                end += self.hold_step_s
                self.console.say(f"[gameday] holding {self.hold_step_s:g} s longer")
            elif command == "h":
                self._heal_now = True
                self.console.say("[gameday] healing now")
                return
            elif command == "c":
                return
            elif command == "a":
                self._abort(experiment, "during the hold")
                return
            elif command:
                self._unknown(command, "l, h, c or a")

    def before_heal(self, experiment: Experiment, fault: Fault) -> None:
        if self._heal_now:
            self._heal_now = False
            return
        while experiment.aborted is None:
            itself = " (it healed itself)" if experiment.active.healed_itself(fault.name) else ""
            answer = self._ask(experiment, f"heal {fault.name}{itself}? c=continue l=hold {self.hold_step_s:g} s "
                                           "longer a=abort", {"c", "l", "a"}, "before heal")
            if answer != "l":
                return
            if self._watch(experiment, self.hold_step_s, "holding longer", {"a", "h"}):
                return

    def close(self, experiment: Experiment) -> None:
        prober, self._prober = self._prober, None
        if prober is not None:
            prober.stop()
        if self._current is not None:
            outcome = "ABORTED" if experiment.aborted is not None else "done"
            self.console.say(f"[gameday] {experiment.name}: {outcome}")
        self._current = None

    # --- internals --------------------------------------------------------------------------------

    def _begin(self, experiment: Experiment) -> None:
        """First checkpoint of an experiment: announce it and probe the SUT's readiness for the view."""
        if self._current == experiment.name:
            return
        self._current = experiment.name
        self._deadline = self.clock() + self.max_experiment_s
        self.console.say(f"[gameday] experiment {experiment.name} (seed {experiment.seed}): aborted and healed "
                         f"if still running in {duration_text(self.max_experiment_s)}")
        service = experiment.env.target.service
        ready = HttpProbe(name="gameday:ready", url=experiment.env.sut.base_url + service.ready_or_health,
                          headers=dict(service.headers))
        self._prober = Prober(experiment.timeline, [ready],
                              interval_s=PROBE_INTERVAL_S, max_duration_s=MAX_PROMPT_S, timeout_s=1.0).start()

    def _view(self, experiment: Experiment) -> str:
        names = experiment.active.names()
        stats = LiveStats.of(experiment.timeline, now_ns=experiment.timeline.now_ns(), faults=names,
                             healed=[n for n in names if experiment.active.healed_itself(n)])
        return stats.render()

    def _tick(self, experiment: Experiment, label: str, wait_s: float) -> str | None:
        """Redraw the view and wait up to `wait_s` for a command; past the game day's bound, abort
        instead (every loop that waits for the operator goes through here and ends on the abort)."""
        remaining_s = self._deadline - self.clock()
        if remaining_s <= 0:
            self._abort(experiment, f"past the game day's bound of {duration_text(self.max_experiment_s)}",
                        guard="gameday bound")
            return None
        self.console.status(f"{self._view(experiment)} | {label} > ")
        return self.console.command(min(wait_s, remaining_s))

    def _ask(self, experiment: Experiment, question: str, allowed: set[str], phase: str) -> str | None:
        """Ask until an allowed answer (returned) or an abort: by the operator ("a"), by a stop
        condition meanwhile, or by silence for `max_prompt_s` (None)."""
        self.console.say(f"[gameday] {question}")
        deadline = self.clock() + self.max_prompt_s
        while experiment.aborted is None:
            if self.clock() >= deadline:
                self._abort(experiment, f"{phase}: no answer within {self.max_prompt_s:g} s")
                return None
            command = self._tick(experiment, "/".join(sorted(allowed)), self.refresh_s)
            if command in allowed:
                if command == "a":
                    self._abort(experiment, phase)
                return command
            if command:
                self._unknown(command, ", ".join(sorted(allowed)))
        return None

    def _watch(self, experiment: Experiment, seconds: float, label: str, allowed: set[str]) -> bool:
        """Show the view for `seconds`; "a" aborts, "h" (when allowed) ends it early: True then."""
        end = self.clock() + seconds
        while experiment.aborted is None and (remaining := end - self.clock()) > 0:
            command = self._tick(experiment, f"{label} {remaining:.0f} s", min(self.refresh_s, remaining))
            if command == "a" and "a" in allowed:
                self._abort(experiment, label)
            elif command == "h" and "h" in allowed:
                self.console.say("[gameday] healing now")
                return True
            elif command:
                self._unknown(command, ", ".join(sorted(allowed)))
        return False

    def _abort(self, experiment: Experiment, phase: str, *, guard: str = "operator") -> None:
        faults = ", ".join(experiment.active.names()) or "none"
        self.console.say(f"[gameday] ABORT ({phase}): healing every active fault at once ({faults})")
        summary = f"aborted by the operator {phase}" if guard == "operator" else f"aborted {phase}"
        experiment.abort(Trip(guard=guard, at_ns=experiment.timeline.now_ns(), summary=summary))

    def _unknown(self, command: str, allowed: str) -> None:
        self.console.say(f"[gameday] unknown command {command!r}: type one of {allowed} and Enter")
