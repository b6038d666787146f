"""Running one experiment: steady state, fault, observation, heal, verdict, on one timeline.

Around it: seeds (`seeding`), stop conditions (`guards`, judged live by `monitor`) and the
checkpoints a game day answers (`checkpoints`).
"""

from chaos.experiment.checkpoints import Checkpoints, ExperimentAborted, Unattended
from chaos.experiment.guards import ErrorRateAbove, ProbeFailing, Trip, readiness_down
from chaos.experiment.run import Experiment

__all__ = [
    "Checkpoints",
    "ErrorRateAbove",
    "Experiment",
    "ExperimentAborted",
    "ProbeFailing",
    "Trip",
    "Unattended",
    "readiness_down",
]
