"""Plans: every experiment of the catalog has one, and a target's plan says what an attached
deployment lacks for it."""

from __future__ import annotations

import ast
from pathlib import Path

from chaos.plan import PLANS, missing_in_target, plan_experiment, render_plan
from chaos.targetfile import CONTRACTS, load_target

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = load_target(ROOT / "fixtures" / "sut" / "chaos.toml")


def catalog_experiments() -> dict[str, str]:
    """Every test function in experiments/ with its chaos_contract marker's name, read from the code."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "experiments").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "chaos_contract":
                        first = deco.args[0]
                        assert isinstance(first, ast.Constant)
                        found[node.name] = str(first.value)
    return found


def test_every_catalog_experiment_has_a_plan_for_its_contract() -> None:
    experiments = catalog_experiments()
    assert len(experiments) == 15
    assert {name: PLANS[name].contract for name in experiments} == experiments
    assert set(PLANS) == set(experiments)          # no plan of an experiment that is gone
    assert all(plan.contract in CONTRACTS for plan in PLANS.values())


def test_a_managed_target_needs_nothing_and_its_plan_names_the_suites_own_parts() -> None:
    for name, plan in PLANS.items():
        spec = REFERENCE.contract(plan.contract)
        assert spec is not None
        assert missing_in_target(plan, REFERENCE, spec) == [], name
    planned = plan_experiment(nodeid="experiments/test_database.py::test_db_restart_fails_fast_and_recovers",
                              function="test_db_restart_fails_fast_and_recovers", contract="db_restart",
                              target=REFERENCE)
    (fault,) = planned.faults
    assert (fault.name, fault.hold) == ("restart(postgres)", "down for 2.50 s")   # hold_for(1.0)
    assert fault.where == "postgres, started by the suite behind its own proxy"
    assert fault.commands == ("the suite's own process (managed mode: no declared command)",)
    assert planned.load == ("GET /api/items?page=1&per_page=10: open model at 40/s until the experiment ends: "
                            f"at most {planned.bound_s:.0f} s, at most {int(40 * planned.bound_s) + 1} requests",)
    lines = render_plan(REFERENCE, [planned])
    assert lines[0].startswith("chaos plan (dry run): nothing is started, injected or sent.")
    assert "  checks: steady state before, survives, errors_only_within, bounded, recovers_within, " \
           "steady state after" in lines


def test_an_undeclared_contract_and_an_unknown_experiment_are_said_so() -> None:
    undeclared = plan_experiment(nodeid="x::test_y", function="test_y", contract="no_such", target=REFERENCE)
    assert undeclared.skip == "skipped: chaos.toml declares no [contracts.no_such]"
    custom = plan_experiment(nodeid="x::test_mine", function="test_mine", contract="db_restart", target=REFERENCE)
    assert not custom.known
    assert custom.skip is None
    assert "no plan is known for this experiment" in "\n".join(render_plan(REFERENCE, [custom]))
