"""Plans: what each experiment of the catalog will do, announced before anything runs.

    model.py     ExperimentPlan, FaultStep, LoadStep: faults, holds, load, what they need
    catalog.py   PLANS: the plan of every experiment in experiments/
    resolve.py   a plan against a target: commands, places, seconds; what an attached target lacks
    render.py    the dry run's text (`pytest --chaos-plan`)
"""

from chaos.plan.catalog import PLANS as PLANS
from chaos.plan.model import ExperimentPlan as ExperimentPlan
from chaos.plan.model import FaultStep as FaultStep
from chaos.plan.model import LoadStep as LoadStep
from chaos.plan.model import Via as Via
from chaos.plan.render import render_plan as render_plan
from chaos.plan.resolve import PlannedExperiment as PlannedExperiment
from chaos.plan.resolve import PlannedFault as PlannedFault
from chaos.plan.resolve import missing_in_target as missing_in_target
from chaos.plan.resolve import plan_experiment as plan_experiment

__all__ = ["PLANS", "ExperimentPlan", "FaultStep", "LoadStep", "PlannedExperiment", "PlannedFault", "Via",
           "missing_in_target", "plan_experiment", "render_plan"]
