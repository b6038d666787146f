"""Running one experiment: steady state, fault, observation, heal, verdict, on one timeline."""

from chaos.experiment.run import Experiment

__all__ = ["Experiment"]
