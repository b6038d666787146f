"""The catalog in attach mode, on the loopback deployment: every experiment passes on the healthy
service and fails, naming the broken contract, with each defect, exactly as in the managed mode
(tests/sensitivity/test_catalog_sensitivity.py). Defects are switched on by the deployment's
redeploy command (`--chaos-sut-env`, as `chaos matrix` passes it) and off again when the run ends.

Each cell also checks what attach mode promises beside the verdict: the journal says attach mode
and the Toxiproxy, every fault it records is one the experiment's plan announced (the dry run and
the real run agree), and the admin DSN's password appears in no journal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.deployment import ADMIN_ENV, ADMIN_PASSWORD, Deployment
from support.envs import sut_environ

from chaos.plan import PLANS
from chaos.report import schema_problems
from chaos.sensitivity import CellSpec, Outcome, render_cell, run_cell
from chaos.targetfile import load_target

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = ROOT / "experiments"
CONTRACTS = list(load_target(ROOT / "fixtures" / "sut" / "chaos.toml").contracts)

pytestmark = pytest.mark.slow


def check_journals(report: Path, deployment: Deployment, contract: str) -> None:
    journals = sorted((report / "journals").glob("*.json"))
    assert journals, f"no journal for {contract}"
    for path in journals:
        text = path.read_text()
        assert ADMIN_PASSWORD not in text, path
        data = json.loads(text)
        assert schema_problems(data) == [], path.name
        assert (data["mode"], data["backend"], data["toxiproxy_url"]) == ("attach", "attach", deployment.proxy_url)
        plan = PLANS[data["experiment"]["name"].partition("[")[0]]
        dependency = data["contract"]["params"].get("dependency", "?")
        announced = {step.fault.format(dep=dependency) for step in plan.faults}
        assert {f["name"] for f in data["faults"]} <= announced, (path.name, announced)
        assert all(c["exit_code"] == 0 for c in data["commands"]), data["commands"]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_attached_experiments_pass_healthy_and_fail_on_their_defect(contract: str, deployment: Deployment,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ADMIN_ENV, deployment.admin_dsn)
    target = load_target(deployment.write_target(), environ=deployment.environ)
    healthy = run_cell(CellSpec(contract=contract, defect=None), target=target, experiments=EXPERIMENTS,
                       extra_args=["-p", "no:randomly", "--chaos-report", str(tmp_path / "healthy")])
    print(render_cell(healthy))
    assert healthy.results, f"no experiment ran for {contract}:\n{healthy.log_tail}"
    assert healthy.clean, render_cell(healthy) + "\n" + "\n".join(
        f"{r.test}: {r.outcome}: {r.message}" for r in healthy.results) + "\n" + healthy.log_tail
    check_journals(tmp_path / "healthy", deployment, contract)
    for defect in target.contracts[contract].defects:
        deployment.ensure_healthy()
        report = tmp_path / defect
        cell = run_cell(CellSpec(contract=contract, defect=defect), target=target, experiments=EXPERIMENTS,
                        extra_args=["-p", "no:randomly", "--chaos-report", str(report)])
        print(render_cell(cell))
        assert cell.detected, render_cell(cell) + "\n" + "\n".join(
            f"{r.test}: {r.outcome}: {r.message}" for r in cell.results) + "\n" + cell.log_tail
        failed = [r for r in cell.results if r.outcome is Outcome.FAILED]
        assert all(r.message.startswith("FAILED: ") and ":" in r.message[len("FAILED: "):] for r in failed)
        check_journals(report, deployment, contract)
        sut = deployment.pid("sut")    # the run redeployed the healthy service when it ended
        assert sut is not None
        assert sut_environ(sut)["SUT_DEFECTS"] == ""
