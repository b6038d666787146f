"""Checkpoints: where an experiment asks whoever runs it before going on (inject, hold, heal).

Experiments are written once and run two ways. Unattended (CI, the default) a checkpoint asks no
one: a hold is a wait that a stop condition can cut short. In a game day the controller
(`chaos.gameday`) pauses at each checkpoint for an operator's command and shows the live view.
`Experiment.fault()` and `Experiment.hold()` consult the checkpoints, so experiments need no change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from chaos.errors import ChaosError

if TYPE_CHECKING:
    from chaos.experiment.guards import Trip
    from chaos.experiment.run import Experiment
    from chaos.faults import Fault

__all__ = ["UNATTENDED", "Checkpoints", "ExperimentAborted", "Unattended"]


class ExperimentAborted(ChaosError):
    """A stop condition tripped or an operator aborted: every active fault was healed at once."""

    def __init__(self, *, experiment: str, reason: Trip, healed: list[str], heal_errors: list[str]) -> None:
        self.experiment = experiment
        self.reason = reason
        self.healed = tuple(healed)
        self.heal_errors = tuple(heal_errors)
        lines = [f"experiment {experiment} aborted: {reason.explain()}"]
        lines += [f"healed at once: {step}" for step in healed] or ["healed at once: no fault was active"]
        lines += [f"heal problem: {problem}" for problem in heal_errors]
        super().__init__("\n".join(lines))


class Checkpoints(Protocol):
    """What an experiment asks at its checkpoints. Each may end the experiment through
    `experiment.abort(...)`, after which the experiment raises ExperimentAborted by itself."""

    def before_inject(self, experiment: Experiment, fault: Fault) -> None: ...

    def hold(self, experiment: Experiment, seconds: float) -> None:
        """Keep things as they are for `seconds` (or as the operator decides)."""
        ...

    def before_heal(self, experiment: Experiment, fault: Fault) -> None: ...

    def close(self, experiment: Experiment) -> None: ...


class Unattended:
    """CI: no questions; a hold is a plain wait that a tripped stop condition ends early."""

    def before_inject(self, experiment: Experiment, fault: Fault) -> None:
        return None

    def hold(self, experiment: Experiment, seconds: float) -> None:
        experiment.wait(seconds)

    def before_heal(self, experiment: Experiment, fault: Fault) -> None:
        return None

    def close(self, experiment: Experiment) -> None:
        return None


UNATTENDED: Checkpoints = Unattended()
