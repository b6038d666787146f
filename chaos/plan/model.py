"""What an experiment will do, as data: its faults (where, how long, by which command, with which
undo), its load and what it needs of an attached deployment.

Durations are functions of the contract's parameters, computed with the same timing rules the
experiments use (chaos.experiment.timing), so the plan of a target says the seconds a run holds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from chaos.targetfile import ContractSpec
from chaos.targetfile.attach import Action

__all__ = ["ExperimentPlan", "FaultStep", "LoadStep", "Seconds", "Via"]

Seconds = Callable[[ContractSpec], float]
Count = Callable[[ContractSpec], int]


class Via(enum.StrEnum):
    """How a fault reaches the system: what the deployment must offer for it."""

    PROXY = "proxy"          # a toxic or a switch on the dependency's proxy (the Toxiproxy)
    COMMAND = "command"      # the lifecycle commands the target declares
    ADMIN = "admin"          # the dependency's admin access: a Postgres DSN, the fake API's control URL
    REQUESTS = "requests"    # requests to the service itself (a workload)


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultStep:
    """One fault of an experiment. `fault` is its name as its receipt gives it, with `{dep}` for the
    contract's dependency; `commands` are the commands it runs, each group one of alternatives (the
    first declared is used), and every group is needed; `on_service` says they are the service's."""

    fault: str
    does: str                                   # in words, with {dep}
    via: Via
    hold: Seconds | None = None                 # how long it stays in place (None: one-shot)
    hold_text: str = ""                         # what the hold is ("until the burst ends")
    commands: tuple[tuple[Action, ...], ...] = ()
    signal: str | None = None                   # the {signal} its signal command gets
    on_service: bool = False
    undo: str = "nothing to undo"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStep:
    """Requests the experiment sends: steady load (`rate_per_s`, None for [load].rate_per_s, until
    the experiment's bound) or a fixed `count` (a burst at once, or one after another)."""

    request: str                                # the contract's request parameter, or "health"
    rate_per_s: float | None = None
    count: Count | None = None
    at_once: bool = False
    model: str = "open"
    probes_only: bool = False                   # no load: the probes (health, ready) every `probe_interval_s`
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentPlan:
    """An experiment of the catalog (`experiment` is its test function's name) and what it does."""

    experiment: str
    contract: str
    faults: tuple[FaultStep, ...]
    load: tuple[LoadStep, ...] = ()
    watches_service: bool = False               # judges `survives`: the service's pid and exit are watched
    counts_connections: bool = False            # reads the service's connections through the admin DSN
