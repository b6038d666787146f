"""A plan against a target: which commands run, where, for how long, and what an attached target lacks.

Pure: no command runs and nothing is sent. The caller may pass what the Toxiproxy reports about
its proxies (a read), so the plan says where each proxy listens and forwards to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chaos.experiment.timing import observation_limit
from chaos.plan.catalog import PLANS
from chaos.plan.model import ExperimentPlan, FaultStep, LoadStep, Via
from chaos.proxy.client import ProxyInfo
from chaos.report.masking import SecretMask
from chaos.targetfile import CONTRACTS, ContractSpec, Target
from chaos.targetfile.attach import Action, AttachedDependency, AttachSpec, Command

__all__ = ["PlannedExperiment", "PlannedFault", "missing_in_target", "plan_experiment"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedFault:
    name: str
    does: str
    where: str
    hold: str
    commands: tuple[str, ...]
    undo: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedExperiment:
    """One experiment as the dry run announces it (every text masked)."""

    nodeid: str
    contract: str | None
    known: bool                       # a plan exists for it (a custom experiment may have none)
    bound_s: float = 0.0              # the experiment's overall bound: its load and probes end by then
    load: tuple[str, ...] = ()
    faults: tuple[PlannedFault, ...] = ()
    checks: tuple[str, ...] = ()
    skip: str | None = None           # why it would not run


def missing_in_target(plan: ExperimentPlan, target: Target, spec: ContractSpec) -> list[str]:
    """The keys an attached target must declare for `plan` and does not (empty: it can run)."""
    attach = target.attach
    if attach is None:
        return []
    missing: list[str] = []
    dep = _dependency(attach, spec)
    if plan.watches_service and Action.PID not in attach.service.commands:
        missing.append("[attach.service].pid and exit_code (the service is watched for exits)")
    for step in plan.faults:
        if step.via is Via.ADMIN and (dep is None or dep.admin is None):
            missing.append(_admin_key(dep, spec))
        commands = attach.service.commands if step.on_service else (dep.commands if dep is not None else {})
        where = "[attach.service]" if step.on_service else f"[attach.dependencies.{spec.dependency}]"
        for group in step.commands:
            if not any(a in commands for a in group):
                missing.append(" or ".join(f"{where}.{a.value}" for a in group))
    if plan.counts_connections and (dep is None or dep.admin is None):
        missing.append(_admin_key(dep, spec) + " (the service's connections are counted)")
    return list(dict.fromkeys(missing))


def plan_experiment(*, nodeid: str, function: str, contract: str | None, target: Target,
                    proxies: Mapping[str, ProxyInfo] | None = None) -> PlannedExperiment:
    """What the experiment `function` (a test function's name) would do against `target`."""
    mask = SecretMask(target.secrets)
    spec = target.contract(contract) if contract is not None else None
    plan = PLANS.get(function)
    if contract is not None and spec is None:
        return PlannedExperiment(nodeid=nodeid, contract=contract, known=plan is not None,
                                 skip=f"skipped: {target.path.name} declares no [contracts.{contract}]")
    if plan is None or spec is None:
        return PlannedExperiment(nodeid=nodeid, contract=contract, known=False)
    missing = missing_in_target(plan, target, spec)
    skip = f"skipped (attach mode): the target does not declare {'; '.join(missing)}" if missing else None
    checks = ("steady state before", *(c.name for c in CONTRACTS[spec.name].checks))
    bound = observation_limit(target, spec)
    return PlannedExperiment(
        nodeid=nodeid, contract=contract, known=True, bound_s=bound, skip=skip, checks=checks,
        load=tuple(_load_line(step, target, spec, bound) for step in plan.load),
        faults=tuple(_fault(step, target, spec, proxies=proxies, mask=mask) for step in plan.faults))


def _dependency(attach: AttachSpec, spec: ContractSpec) -> AttachedDependency | None:
    name = spec.dependency
    return attach.dependencies.get(name) if name is not None else None


def _admin_key(dep: AttachedDependency | None, spec: ContractSpec) -> str:
    key = dep.admin_key if dep is not None else "admin access"
    return f"[attach.dependencies.{spec.dependency}].{key}"


def _request_text(key: str, target: Target, spec: ContractSpec) -> str:
    if key == "health":
        return f"GET {target.service.health}"
    return str(spec.request(key)) if key in spec else key


def _load_line(step: LoadStep, target: Target, spec: ContractSpec, bound_s: float) -> str:
    request = _request_text(step.request, target, spec)
    if step.probes_only:
        return f"probes only, until the experiment ends ({step.note})"
    if step.count is not None:
        n = step.count(spec)
        how = "at once" if step.at_once else ("in flight together (closed model)" if step.model == "closed"
                                              else "one after another")
        line = f"{request}: {n} requests {how}"
    else:
        rate = step.rate_per_s if step.rate_per_s is not None else target.load.rate_per_s
        line = (f"{request}: {step.model} model at {rate:g}/s until the experiment ends: at most {bound_s:.0f} s, "
                f"at most {int(rate * bound_s) + 1} requests")
    return line + (f" ({step.note.format(dep=spec.dependency)})" if step.note else "")


def _fault(step: FaultStep, target: Target, spec: ContractSpec, *,
           proxies: Mapping[str, ProxyInfo] | None, mask: SecretMask) -> PlannedFault:
    dep = spec.dependency or "?"
    attach = target.attach
    if step.hold is not None:
        seconds = step.hold(spec)
        hold = f"{step.hold_text or 'held'} {seconds:.2f} s"
    else:
        hold = step.hold_text or "one-shot"
    return PlannedFault(name=step.fault.format(dep=dep), does=step.does.format(dep=dep),
                        where=_where(step, target, dep, proxies), hold=hold,
                        commands=_commands(step, attach, dep, mask), undo=step.undo.format(dep=dep))


def _where(step: FaultStep, target: Target, dep: str, proxies: Mapping[str, ProxyInfo] | None) -> str:
    attach = target.attach
    if step.on_service or step.via is Via.REQUESTS:
        return f"the service at {target.service.url}"
    if attach is None:
        return f"{dep}, started by the suite behind its own proxy"
    spec = attach.dependencies.get(dep)
    if spec is None:
        return dep
    if step.via is Via.ADMIN:
        return f"{dep} through its {spec.admin_key}"
    if step.via is Via.COMMAND:
        return f"{dep}, through the commands of [attach.dependencies.{dep}]"
    text = f"{dep} behind proxy {spec.proxy!r} on {attach.toxiproxy_url}"
    if proxies is not None:
        info = proxies.get(spec.proxy)
        text += (f" (listens on {info.listen}, forwards to {info.upstream})" if info is not None
                 else " (NOT FOUND on the Toxiproxy: the run would stop before any experiment)")
    return text


def _commands(step: FaultStep, attach: AttachSpec | None, dep: str, mask: SecretMask) -> tuple[str, ...]:
    if not step.commands:
        return ()
    if attach is None:
        return ("the suite's own process (managed mode: no declared command)",)
    if step.on_service:
        declared, ready = attach.service.commands, f"health and ready answer 2xx within " \
                                                   f"{attach.service.ready_timeout_s:g} s"
    else:
        spec = attach.dependencies.get(dep)
        declared = spec.commands if spec is not None else {}
        ready = f"ready within {spec.ready_timeout_s:g} s" if spec is not None else ""
    lines = []
    for group in step.commands:
        chosen: Command | None = next((declared[a] for a in group if a in declared), None)
        if chosen is None:
            lines.append(f"{' or '.join(a.value for a in group)}: NOT DECLARED")
            continue
        signal = step.signal if chosen.action is Action.SIGNAL else None
        after = f"; then {ready}" if chosen.action in (Action.START, Action.RESTART) and ready else ""
        lines.append(f"{chosen.action.value}: `{mask.text(chosen.display(signal=signal))}` "
                     f"(timeout {chosen.timeout_s:g} s{after})")
    return tuple(lines)
