"""The dry run (`--chaos-plan`) and attach mode's skips, both from the catalog's plans (chaos.plan).

`--chaos-plan` replaces the run loop: the collected experiments (after -k and --chaos-contract) are
announced, each with its faults, load and checks, and none is run: no environment starts, no
command runs, no request is sent. The only call it makes is a read of the Toxiproxy's proxies, to
say where each fault would go. In attach mode an experiment whose plan needs what the target does
not declare (no signal command: no drain experiment) is skipped before its set-up, with the keys.
"""

from __future__ import annotations

import pytest

from chaos.errors import ChaosError
from chaos.plan import PLANS, missing_in_target, plan_experiment, render_plan
from chaos.proxy.client import ProxyInfo, ToxiproxyClient
from chaos.pytest_plugin.settings import SETTINGS_KEY, TARGET_KEY, load_target_or_usage_error
from chaos.targetfile import Target

__all__ = ["attach_header", "pytest_runtest_setup", "pytest_runtestloop"]

_READ_TIMEOUT_S = 3.0


def _contract_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("chaos_contract")
    return str(marker.args[0]) if marker is not None and marker.args else None


def _function_of(item: pytest.Item) -> str:
    return str(getattr(item, "originalname", None) or item.name)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Attach mode: skip an experiment the target lacks the commands or access for, naming them."""
    target = item.config.stash.get(TARGET_KEY, None)
    contract = _contract_of(item)
    if target is None or target.attach is None or contract is None:
        return
    spec = target.contract(contract)
    plan = PLANS.get(_function_of(item))
    if spec is None or plan is None:
        return   # an undeclared contract is skipped by its fixture, with its own reason
    missing = missing_in_target(plan, target, spec)
    if missing:
        pytest.skip(f"attach mode: {target.path.name} does not declare {'; '.join(missing)}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """With --chaos-plan: print the plan of every collected experiment and run none of them."""
    config = session.config
    settings = config.stash[SETTINGS_KEY]
    if not settings.plan or config.option.collectonly:
        return None
    target = config.stash.get(TARGET_KEY, None)
    if target is None:
        target = config.stash[TARGET_KEY] = load_target_or_usage_error(settings)
    proxies, note = _read_proxies(target)
    planned = [plan_experiment(nodeid=item.nodeid, function=_function_of(item), contract=_contract_of(item),
                               target=target, proxies=proxies) for item in session.items]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for line in render_plan(target, planned, toxiproxy_note=note):
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)
    return True


def attach_header(target: Target) -> list[str]:
    """The report header of an attached run: what it touches, the load it sends, what stops it."""
    assert target.attach is not None
    guards = target.guards
    stops = [name for name, on in (("error_rate", guards.error_rate is not None),
                                   ("readiness", guards.readiness is not None)) if on]
    stops += [f"probe {p.name}" for p in guards.probes]
    return [
        f"chaos: attach mode: the service at {target.service.url}, faults through the Toxiproxy at "
        f"{target.attach.toxiproxy_url or '(none)'} and the target's commands (each bounded by its timeout); "
        "the suite starts nothing",
        f"chaos: load: at most {target.load.rate_per_s:g} requests/s per experiment ([load].rate_per_s), each "
        "experiment's load ending within its bound; --chaos-plan lists every fault, hold and load",
        f"chaos: stop conditions: {', '.join(stops) or 'none declared'}",
    ]


def _read_proxies(target: Target) -> tuple[dict[str, ProxyInfo] | None, str]:
    """What the Toxiproxy reports (a read, nothing changed), and a note on it for the header."""
    url = target.attach.toxiproxy_url if target.attach is not None else None
    if url is None:
        return None, ""
    try:
        with ToxiproxyClient(url, timeout_s=_READ_TIMEOUT_S) as client:
            proxies = client.proxies()
    except ChaosError as exc:
        return None, f"could not be read: {exc}"
    return proxies, f"read only: {len(proxies)} proxies"
