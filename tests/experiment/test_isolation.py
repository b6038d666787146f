"""One experiment's aftermath never counts against the next (docs/isolation.md), on a real service.

The service (tests/support/targets/flaky/service.py) answers 500 on /api while a mark file exists,
and removes the mark when it starts: an "aftermath" only a restart heals, as a pool that kept
connections an earlier fault broke.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.contracts import Status
from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.registry import Registry
from chaos.experiment import Experiment
from chaos.faults import ToxicFault
from chaos.observe import fire
from chaos.targetfile import load_target

SERVICE = Path(__file__).resolve().parents[1] / "support" / "targets" / "flaky" / "service.py"


def _target(directory: Path, *, restart: str) -> Path:
    path = directory / f"chaos-{restart}.toml"
    path.write_text(f'''
[service]
command = ["{{python}}", "{SERVICE}"]
url = "http://127.0.0.1:{{port}}"
health = "/health"
restart = "{restart}"
shutdown_grace_s = 2
[service.env]
PORT = "{{port}}"
FLAKY_MARK = "{directory}/mark-{restart}"
[dependencies.redis]
kind = "redis"
[contracts.cache_fallback]
request = "GET /api"
dependency = "redis"
''')
    return path


@pytest.fixture(scope="module", params=["when-unhealthy", "never"])
def flaky_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              worker_id: str) -> Iterator[tuple[LocalEnvironment, Path]]:
    directory = tmp_path_factory.mktemp("flaky")
    restart = str(request.param)
    env = LocalBackend(registry=Registry(directory / "registry")).start(
        load_target(_target(directory, restart=restart)), worker_id=worker_id)
    yield env, directory / f"mark-{restart}"
    env.close()


def _experiment(env: LocalEnvironment, name: str) -> Experiment:
    return Experiment(name=name, env=env, contract=env.target.contract("cache_fallback"), seed=1)


def test_an_aftermath_is_healed_by_a_restart_or_reported_inconclusive(flaky_env: tuple[LocalEnvironment, Path]
                                                                     ) -> None:
    env, mark = flaky_env
    env.heal()
    mark.touch()                                  # what an earlier experiment "left behind"
    pid_before = env.sut.pid()
    experiment = _experiment(env, "after a broken experiment")
    experiment.prove_healthy(bound_s=1.0)
    if env.target.service.restart.value == "when-unhealthy":
        assert experiment.healthy_before
        assert env.sut.pid() != pid_before
        assert any(n.startswith("restarted the service: not healthy after") and "-> 500" in n
                   for n in experiment.notes), experiment.notes
        assert experiment.outcome().status is Status.INCONCLUSIVE   # no check ran: never a pass
    else:
        assert not experiment.healthy_before
        assert env.sut.pid() == pid_before
        outcome = experiment.outcome()
        assert outcome.status is Status.INCONCLUSIVE
        part = next(p for p in outcome.parts if p.contract == "healthy before the experiment")
        assert "did not answer healthy within" in part.summary
        assert any("GET /api [warm-up] -> 500" in line for line in part.evidence)
        mark.unlink()


def test_errors_between_the_steady_state_and_the_fault_are_inconclusive(
        flaky_env: tuple[LocalEnvironment, Path]) -> None:
    env, mark = flaky_env
    env.heal()
    mark.unlink(missing_ok=True)
    experiment = _experiment(env, "quiet before the fault")
    experiment.prove_healthy(bound_s=1.0)
    request = experiment.request()
    assert experiment.steady_state([request]).ok
    mark.touch()                                  # the service breaks after the steady state ...
    fire(experiment.base_url, [request], experiment.timeline, timeout_s=2.0)
    with experiment.fault(ToxicFault(client=env.proxy, dependency=experiment.redis(), toxic_type="latency",
                                     attributes={"latency": 1})):
        pass                                      # ... before the fault: nobody's fault
    mark.unlink()
    quiet = [v for v in experiment.verdicts if v.contract == "healthy before the fault"]
    assert [v.status for v in quiet] == [Status.INCONCLUSIVE]
    assert quiet[0].summary.startswith("not healthy before the fault: 1 requests")
    assert "-> 500" in quiet[0].evidence[0]


def test_each_experiment_sees_only_its_own_part_of_the_service_log(flaky_env: tuple[LocalEnvironment, Path]
                                                                  ) -> None:
    env, _ = flaky_env
    env.heal()
    first = _experiment(env, "first")
    fire(first.base_url, [first.request(label="one")], first.timeline, timeout_s=2.0)
    second = _experiment(env, "second")
    fire(second.base_url, [second.health_request(), second.health_request()], second.timeline, timeout_s=2.0)
    logged = second.process_logs()["service"]
    assert logged.count('"GET /health HTTP/1.1" 200') == 2
    assert "GET /api" not in logged
    assert "GET /api" in first.process_logs()["service"]
