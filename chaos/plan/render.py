"""The dry run's text: per experiment its load, each fault (where, how long, which command, the
undo) and its checks, under a header that says what the run would touch and what guards it."""

from __future__ import annotations

from collections.abc import Sequence

from chaos.plan.resolve import PlannedExperiment
from chaos.targetfile import Target

__all__ = ["render_plan"]


def render_plan(target: Target, experiments: Sequence[PlannedExperiment], *, toxiproxy_note: str = "") -> list[str]:
    """The lines `--chaos-plan` prints (already masked by `plan_experiment`)."""
    attach = target.attach
    mode = "attach (the service runs already; the suite starts nothing)" if attach else "managed (the suite " \
        "starts the service and its dependencies)"
    lines = [f"chaos plan (dry run): nothing is started, injected or sent. target {target.path}, mode {mode}",
             f"  service: {target.service.url}"]
    if attach is not None:
        lines.append(f"  Toxiproxy: {attach.toxiproxy_url or 'none (no dependency)'}"
                     + (f" ({toxiproxy_note})" if toxiproxy_note else ""))
    guards = target.guards
    stops = [*([f"error rate above {guards.error_rate.above:.0%} over {guards.error_rate.for_s:g} s"]
               if guards.error_rate else []),
             *([f"readiness down longer than {guards.readiness.down_longer_than_s:g} s"] if guards.readiness else []),
             *(f"probe {p.name} ({p.url}) failing for {p.failing_for_s:g} s" for p in guards.probes)]
    lines.append(f"  stop conditions: {'; '.join(stops) if stops else 'none declared'}")
    runnable = [e for e in experiments if e.skip is None]
    lines.append(f"  {len(experiments)} experiments, {len(runnable)} would run, one at a time; each fault is "
                 "undone when its block ends, and at once if a stop condition trips or a command fails")
    for exp in experiments:
        lines.append("")
        lines.append(f"{exp.nodeid}" + (f"  [{exp.contract}]" if exp.contract else ""))
        if exp.skip is not None:
            lines.append(f"  {exp.skip}")
            continue
        if not exp.known:
            lines.append("  no plan is known for this experiment (not one of the catalog's): it would run, "
                         "and its faults are not announced here")
            continue
        lines.append(f"  bound: load and probes end within {exp.bound_s:.0f} s")
        lines.extend(f"  load: {line}" for line in exp.load)
        for number, fault in enumerate(exp.faults, 1):
            lines.append(f"  fault {number}: {fault.name}: {fault.does}; {fault.hold}")
            lines.append(f"    where: {fault.where}")
            lines.extend(f"    runs: {command}" for command in fault.commands)
            lines.append(f"    undo: {fault.undo}")
        lines.append(f"  checks: {', '.join(exp.checks)}")
    return lines
