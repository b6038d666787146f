"""The fixtures experiments use: the target, the running environment and its parts.

Session-scoped where starting is expensive (the environment: Postgres, Redis, the fake API, the
proxies and the SUT come up once per xdist worker), function-scoped where state must be fresh
(`chaos_env` heals everything back to the baseline before each experiment), like pytest's
`tmp_path_factory` / `tmp_path` pair.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chaos.env.base import Environment, SutHandle
from chaos.errors import ChaosError
from chaos.experiment import Experiment
from chaos.experiment.checkpoints import Checkpoints
from chaos.experiment.guards import guards_from_target
from chaos.experiment.seeding import derive_seed, seed_environment
from chaos.pytest_plugin.backends import start_environment
from chaos.pytest_plugin.envfailure import remember_failure
from chaos.pytest_plugin.lifecycle import CLOSERS_KEY
from chaos.pytest_plugin.settings import SETTINGS_KEY, TARGET_KEY, ChaosSettings, load_target_or_usage_error
from chaos.report.masking import SecretMask
from chaos.targetfile import ContractSpec, Target

if TYPE_CHECKING:
    from chaos.proxy.client import ToxiproxyClient

__all__ = [
    "chaos_env", "chaos_env_factory", "chaos_seed", "chaos_settings", "chaos_target", "contract", "experiment",
    "sut", "toxiproxy",
]


CATALOG_DIR = Path(__file__).resolve().parents[2] / "experiments"
"""The suite's own experiments: every check they make is in the contract reference."""


def worker_id_of(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


@pytest.fixture(scope="session")
def chaos_settings(pytestconfig: pytest.Config) -> ChaosSettings:
    """The resolved --chaos-* settings (target file, backend, extra SUT environment)."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def chaos_target(pytestconfig: pytest.Config, chaos_settings: ChaosSettings) -> Target:
    """The loaded, validated target file (the reference service unless --chaos-target says otherwise)."""
    loaded = pytestconfig.stash.get(TARGET_KEY, None)
    if loaded is None:   # the default target is loaded when an experiment first needs it
        loaded = pytestconfig.stash[TARGET_KEY] = load_target_or_usage_error(chaos_settings)
        pytestconfig.stash[SETTINGS_KEY] = chaos_settings.for_target(loaded, pytestconfig)
    return loaded


@pytest.fixture(scope="session")
def chaos_env_factory(
    pytestconfig: pytest.Config, chaos_settings: ChaosSettings, chaos_target: Target,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Environment]:
    """The environment of this worker, started once: SUT, dependencies, proxies. Closed at the end of
    the session, and also from `pytest_unconfigure` should the session be interrupted. If it cannot
    start, the first experiment that needs it errors with the reason and the rest are skipped."""
    worker = worker_id_of(pytestconfig)
    backend = pytestconfig.stash[SETTINGS_KEY].backend   # as the target decided (attach, for an [attach] table)
    try:
        env = start_environment(
            backend, chaos_target, worker_id=worker, sut_env=chaos_settings.sut_env,
            workdir=tmp_path_factory.mktemp(f"env-{worker}"),
        )
    except ChaosError as exc:
        shown = SecretMask(chaos_target.secrets).text(str(exc))   # an attach command line may hold a secret
        failed = pytest.fail.Exception(f"could not start the {backend} environment: {shown}", pytrace=False)
        remember_failure(pytestconfig, failed)
        raise failed from None
    except Exception as exc:   # a bug of ours: its traceback, but once too
        remember_failure(pytestconfig, exc)
        raise
    closer = pytestconfig.stash[CLOSERS_KEY]
    closer.callback(env.close)
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def chaos_env(chaos_env_factory: Environment) -> Environment:
    """The environment, healed back to its baseline for this experiment (no toxic, every proxy
    enabled, every dependency up, the fake external API reset, the SUT running and ready)."""
    try:
        chaos_env_factory.heal()
    except ChaosError as exc:
        shown = SecretMask(chaos_env_factory.target.secrets).text(str(exc))
        pytest.fail(f"could not heal the environment before the experiment: {shown}", pytrace=False)
    return chaos_env_factory


@pytest.fixture
def sut(chaos_env: Environment) -> SutHandle:
    """The service under test: base URL, signals, exit code and logs."""
    return chaos_env.sut


@pytest.fixture
def toxiproxy(chaos_env: Environment) -> ToxiproxyClient:
    """The Toxiproxy API client of this environment (embedded proxy, or TOXIPROXY_URL)."""
    return chaos_env.proxy


@pytest.fixture
def contract(request: pytest.FixtureRequest, chaos_target: Target) -> ContractSpec:
    """The contract named by the test's `chaos_contract` marker, as the target declares it.

    Skips the experiment, with the reason, when the target does not declare that contract.
    """
    marker = request.node.get_closest_marker("chaos_contract")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{request.node.nodeid} uses `contract` without @pytest.mark.chaos_contract(NAME)")
    name = str(marker.args[0])
    spec = chaos_target.contract(name)
    if spec is None:
        pytest.skip(f"target {chaos_target.path} declares no [contracts.{name}]")
    return spec



@pytest.fixture
def experiment(request: pytest.FixtureRequest, chaos_checkpoints: Checkpoints) -> Iterator[Experiment]:
    """One experiment's run (timeline, faults, verdicts) against the healed environment.

    The test adds checks; when it returns, the plugin combines them and fails the test with the
    evidence unless the outcome is PASSED (INCONCLUSIVE fails too, under its own name).
    """
    marker = request.node.get_closest_marker("chaos_contract")
    # the contract first: an undeclared one skips before any environment is started
    spec = request.getfixturevalue("contract") if marker is not None and marker.args else None
    env: Environment = request.getfixturevalue("chaos_env")
    run_seed = request.config.stash[SETTINGS_KEY].seed
    experiment = Experiment(name=request.node.name, env=env, contract=spec, seed=run_seed,
                            nodeid=request.node.nodeid)
    # after chaos_env's heal (which resets the fake APIs' seeds): this experiment's draws only
    experiment.notes.extend(seed_environment(env, experiment.experiment_seed))
    experiment.checkpoints = chaos_checkpoints
    experiment.in_catalog = request.node.path.is_relative_to(CATALOG_DIR)
    experiment.guard(*guards_from_target(env.target.guards,
                                         ready_url=env.sut.base_url + env.target.service.ready_or_health))
    experiment.prove_healthy()
    try:
        yield experiment
    finally:
        experiment.close()


@pytest.fixture
def chaos_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed, derived from the run seed (--chaos-seed, or drawn and printed in the header)
    and the test's nodeid: the same whatever else runs (-n 2, -k), different for every test."""
    return derive_seed(request.config.stash[SETTINGS_KEY].seed, request.node.nodeid)
