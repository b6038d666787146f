"""The plugin's settings, resolved once from option, env var, ini and default (pytest-timeout's order)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from chaos.errors import ChaosError, UnknownContract
from chaos.experiment.seeding import draw_seed
from chaos.gameday.controller import MAX_EXPERIMENT_S
from chaos.targetfile import CONTRACTS, Target, load_target
from chaos.targetfile.attach import Action

__all__ = ["ATTACH_REFUSES_XDIST", "DEFAULT_TARGET_SOURCE", "GAMEDAY_REFUSES_XDIST", "SEED_DRAWN", "SETTINGS_KEY",
           "TARGET_KEY", "WORKER_SEED_KEY", "ChaosSettings", "default_target_path", "load_target_or_usage_error"]

BACKENDS = ("local", "docker", "attach")
DEFAULT_TARGET_SOURCE = "default (the reference service)"
GAMEDAY_REFUSES_XDIST = "--gameday runs one experiment at a time on this terminal: drop -n/--numprocesses"
ATTACH_REFUSES_XDIST = ("an attached target is one deployment, which parallel workers would fault at once: "
                        "drop -n/--numprocesses")


def default_target_path(rootpath: Path) -> Path:
    """The reference service's target file, found from the rootdir (the suite's own checkout)."""
    return rootpath / "fixtures" / "sut" / "chaos.toml"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChaosSettings:
    target_path: Path
    target_source: str            # where the value came from, for messages and the report header
    backend: str
    backend_source: str = ""      # "" for the default
    sut_env: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0                 # the run seed: every experiment derives its own from it and its nodeid
    seed_source: str = ""         # "--chaos-seed", ..., or "drawn" (printed so the run can be replayed)
    gameday: bool = False         # --gameday: an operator answers the experiments' checkpoints
    gameday_max_s: float = MAX_EXPERIMENT_S   # the game day's bound per experiment, from its first checkpoint
    contracts: tuple[str, ...] = ()   # --chaos-contract: only these contracts' experiments (all if empty)
    plan: bool = False            # --chaos-plan: print what would run, run nothing

    @classmethod
    def from_config(cls, config: pytest.Config, environ: Mapping[str, str] = os.environ) -> ChaosSettings:
        target, source = _first(
            (config.getoption("chaos_target"), "--chaos-target"),
            (environ.get("CHAOS_TARGET"), "CHAOS_TARGET environment variable"),
            (config.getini("chaos_target"), "chaos_target in the ini file"),
        )
        if target:
            path = Path(target).expanduser()
            if not path.is_absolute():
                base = Path.cwd() if source != "chaos_target in the ini file" else config.rootpath
                path = base / path
        else:
            path, source = default_target_path(config.rootpath), DEFAULT_TARGET_SOURCE
        backend, backend_source = _first(
            (config.getoption("chaos_backend"), "--chaos-backend"),
            (environ.get("CHAOS_BACKEND"), "CHAOS_BACKEND environment variable"),
            (config.getini("chaos_backend"), "chaos_backend in the ini file"),
        )
        backend = backend or "local"
        if backend not in BACKENDS:
            raise pytest.UsageError(
                f"unknown backend {backend!r} from {backend_source}: expected one of {', '.join(BACKENDS)}")
        sut_env: dict[str, str] = {}
        for item in config.getoption("chaos_sut_env") or []:
            name, sep, value = str(item).partition("=")
            if not sep or not name.strip():
                raise pytest.UsageError(f"--chaos-sut-env {item!r}: expected NAME=VALUE")
            sut_env[name.strip()] = value
        contracts = tuple(str(name) for name in config.getoption("chaos_contract") or [])
        for name in contracts:   # a typo would deselect everything: exit 5, "no tests ran"
            if name not in CONTRACTS:
                raise pytest.UsageError(str(UnknownContract(name=name, known=list(CONTRACTS),
                                                            source="--chaos-contract")))
        seed, seed_source = _resolve_seed(config, environ)
        gameday = bool(config.getoption("gameday") or config.getini("chaos_gameday"))
        if gameday and (config.getoption("numprocesses", default=None) or getattr(config, "workerinput", None)):
            raise pytest.UsageError(GAMEDAY_REFUSES_XDIST)
        return cls(target_path=path.resolve(), target_source=source, backend=backend, backend_source=backend_source,
                   sut_env=sut_env, seed=seed, seed_source=seed_source, gameday=gameday,
                   gameday_max_s=_gameday_max_s(config), contracts=contracts,
                   plan=bool(config.getoption("chaos_plan", default=False) or config.getini("chaos_plan")))

    def for_target(self, target: Target, config: pytest.Config) -> ChaosSettings:
        """The settings for `target`: a target with an [attach] table runs attached (any other backend
        named is a usage error), one without cannot; an attached run refuses xdist workers and a
        --chaos-sut-env the deployment cannot take (no redeploy command)."""
        if target.attach is None:
            if self.backend == "attach":
                raise pytest.UsageError(f"--chaos-backend attach (from {self.backend_source}): {target.path} has no "
                                        "[attach] table naming a running deployment")
            return self
        if self.backend_source and self.backend != "attach":
            raise pytest.UsageError(
                f"backend {self.backend!r} from {self.backend_source}: {target.path} attaches to a running "
                "deployment ([attach]); the suite starts nothing for it (drop the backend, or use a target "
                "without [attach])")
        if config.getoption("numprocesses", default=None) or getattr(config, "workerinput", None):
            raise pytest.UsageError(ATTACH_REFUSES_XDIST)
        if self.sut_env and not self.plan and target.attach.service.command(Action.REDEPLOY) is None:
            raise pytest.UsageError(
                f"--chaos-sut-env {', '.join(self.sut_env)}: {target.path} attaches to a running service and "
                "declares no [attach.service].redeploy command to switch it on with (see docs/staging.md)")
        return replace(self, backend="attach")


def _gameday_max_s(config: pytest.Config) -> float:
    raw, source = _first(
        (config.getoption("gameday_max_s"), "--gameday-max-s"),
        (config.getini("chaos_gameday_max_s"), "chaos_gameday_max_s in the ini file"),
    )
    if not raw:
        return MAX_EXPERIMENT_S
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value > 0):
        raise pytest.UsageError(f"invalid game-day bound {raw!r} from {source}: expected seconds > 0")
    return value


SEED_DRAWN = "drawn at random"
WORKER_SEED_KEY = "chaos_seed"  # in xdist's workerinput: the controller's seed, so workers share it


def _resolve_seed(config: pytest.Config, environ: Mapping[str, str]) -> tuple[int, str]:
    """--chaos-seed, CHAOS_SEED, the ini's chaos_seed; else the xdist controller's (a worker must
    not draw its own), else a fresh draw."""
    raw, source = _first(
        (config.getoption("chaos_seed"), "--chaos-seed"),
        (environ.get("CHAOS_SEED"), "CHAOS_SEED environment variable"),
        (config.getini("chaos_seed"), "chaos_seed in the ini file"),
    )
    if raw:
        try:
            seed = int(raw.strip())
        except ValueError:
            seed = -1
        if seed < 0:
            raise pytest.UsageError(f"invalid seed {raw!r} from {source}: expected an integer >= 0")
        return seed, source
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and WORKER_SEED_KEY in workerinput:
        return int(workerinput[WORKER_SEED_KEY]), SEED_DRAWN
    return draw_seed(), SEED_DRAWN


def _first(*candidates: tuple[object, str]) -> tuple[str, str]:
    for value, source in candidates:
        if value not in (None, "", []):
            return str(value), source
    return "", ""


def load_target_or_usage_error(settings: ChaosSettings) -> Target:
    """The target file, or a `pytest.UsageError` naming the file, the key, the problem and where the
    path came from: a broken target stops the run before anything starts, without a traceback."""
    try:
        return load_target(settings.target_path)
    except ChaosError as exc:
        raise pytest.UsageError(f"{exc}\n(target file from {settings.target_source})") from None


SETTINGS_KEY = pytest.StashKey[ChaosSettings]()
TARGET_KEY = pytest.StashKey[Target]()
