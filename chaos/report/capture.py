"""Building a `Journal` from a live run: the experiment's timeline, receipts, steady states and verdict.

The pytest plugin calls `journal_of` once an experiment's outcome is known (passed, failed,
inconclusive, skipped or broken) and hands the result to the writers; nothing here does I/O
beyond reading versions and the host name.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chaos import __version__
from chaos.answers import describe
from chaos.contracts import Verdict
from chaos.observe import SteadyState, Timeline
from chaos.report.journal import (
    CommandRecord,
    ContractInfo,
    FaultRecord,
    Journal,
    MarginRule,
    Outcome,
    ProcessLog,
    Provenance,
    QueryRecord,
    SteadyStateRecord,
    TargetInfo,
    sut_exits,
)

if TYPE_CHECKING:   # only annotations: `chaos report` re-renders journals without importing the runner
    from chaos.experiment import Experiment
    from chaos.faults import Receipt
    from chaos.targetfile import ContractSpec

__all__ = ["LOG_FULL_BYTES", "LOG_TAIL_LINES", "contract_info", "fault_record", "journal_of", "margin_rule",
           "process_logs", "provenance", "target_info"]

LOG_TAIL_LINES = 200
"""Lines of each process's log a passing experiment's journal keeps."""
LOG_FULL_BYTES = 1 << 20
"""What a failed experiment's journal keeps of each log (the end of it); the whole log is kept beside."""


def provenance() -> Provenance:
    """The suite, pytest and Python versions and the machine this process runs on."""
    import pytest

    return Provenance(
        suite_version=__version__,
        python=f"{platform.python_version()} ({platform.python_implementation()})",
        platform=platform.platform(),
        node=platform.node(),
        pytest_version=pytest.__version__,
    )


def target_info(path: Path, *, sha256: str = "", sut_env: Mapping[str, str] | None = None) -> TargetInfo:
    """The target file's path and a short name: its folder for the usual `chaos.toml`, else its stem."""
    name = path.parent.name if path.name == "chaos.toml" and path.parent.name else path.stem
    return TargetInfo(path=str(path), name=name, sha256=sha256, sut_env=dict(sut_env or {}))


def process_logs(logs: Mapping[str, str], *, full: bool) -> tuple[ProcessLog, ...]:
    """The processes' logs for the journal: their last `LOG_TAIL_LINES` lines, or with `full` (an
    experiment that did not pass) up to `LOG_FULL_BYTES` of their end."""
    records = []
    for process, text in logs.items():
        lines = text.splitlines()
        if full:
            kept, truncated = text[-LOG_FULL_BYTES:], len(text) > LOG_FULL_BYTES
        else:
            kept, truncated = "\n".join(lines[-LOG_TAIL_LINES:]), len(lines) > LOG_TAIL_LINES
        records.append(ProcessLog(process=process, text=kept, lines=len(lines), truncated=truncated))
    return tuple(records)


def contract_info(spec: ContractSpec) -> ContractInfo:
    return ContractInfo(name=spec.name, params=dict(spec.params), defects=tuple(spec.defects))


def fault_record(receipt: Receipt, timeline: Timeline) -> FaultRecord:
    """A receipt with its monotonic instants turned into offsets on the experiment's timeline."""
    return FaultRecord(
        name=receipt.fault,
        intent=receipt.intent,
        injected_offset_s=None if receipt.injected_ns is None else timeline.offset_s(receipt.injected_ns),
        reverted_offset_s=None if receipt.reverted_ns is None else timeline.offset_s(receipt.reverted_ns),
        effects=tuple(receipt.effects),
        hits=receipt.hits,
        pid_before=receipt.pid_before,
        pid_after=receipt.pid_after,
        signal=receipt.signal,
        revert_steps=tuple(receipt.revert_steps),
        revert_errors=tuple(receipt.revert_errors),
        leftovers=tuple(receipt.leftovers),
        notes=tuple(receipt.notes),
    )


def margin_rule() -> MarginRule:
    """The rule by which this run's experiments turn a declared budget into the allowed one."""
    from chaos.experiment.timing import (  # the runner's, loaded by now
        LONG_BUDGET_BASE_S,
        LONG_BUDGET_SHARE,
        RELATIVE_MARGIN,
        SCHEDULING_FLOOR_S,
    )

    return MarginRule(relative=RELATIVE_MARGIN, floor_s=SCHEDULING_FLOOR_S, long_base_s=LONG_BUDGET_BASE_S,
                      long_share=LONG_BUDGET_SHARE)


def _steady_record(phase: str, state: SteadyState) -> SteadyStateRecord:
    return SteadyStateRecord(
        phase=phase, ok=state.ok, max_latency_s=state.tolerance.max_latency_s,
        answer=describe(state.tolerance.answer), requests=len(state.records),
        offenders=len(state.offenders), explanation=tuple(state.explain().splitlines()),
    )


def journal_of(
    *,
    nodeid: str,
    name: str,
    target_path: Path,
    backend: str,
    started_at: datetime,
    ended_at: datetime,
    outcome: Outcome,
    outcome_detail: str = "",
    experiment: Experiment | None = None,
    contract: ContractSpec | None = None,
    contract_name: str | None = None,
    verdict: Verdict | None = None,
    seed: int | None = None,
    error: str | None = None,
    notes: Sequence[str] = (),
    target_sha256: str = "",
    sut_env: Mapping[str, str] | None = None,
    logs: Sequence[ProcessLog] = (),
    mode: str = "managed",
    toxiproxy_url: str = "",
) -> Journal:
    """The journal of one experiment.

    With an `experiment`, its contract, timeline, receipts, steady states, notes and run seed (its
    `seed`, which the plugin creates from the run's) go in; without one (skipped or broken before it
    existed) the journal still says which contract it was for (`contract_name`, from the test's
    marker), the run's `seed`, and why it ended.
    """
    spec = experiment.contract if experiment is not None and experiment.contract is not None else contract
    if spec is not None:
        info: ContractInfo | None = contract_info(spec)
    else:
        info = ContractInfo(name=contract_name) if contract_name else None
    timeline = experiment.timeline if experiment is not None else None
    commands, queries = _commands(experiment)
    return Journal(
        provenance=provenance(),
        seed=experiment.seed if experiment is not None else seed,
        target=target_info(target_path, sha256=target_sha256, sut_env=sut_env),
        backend=backend,
        experiment=name,
        nodeid=nodeid,
        contract=info,
        started_at=started_at,
        ended_at=ended_at,
        duration_s=max(0.0, (ended_at - started_at).total_seconds()),
        outcome=outcome,
        outcome_detail=outcome_detail,
        steady_states=() if experiment is None else tuple(
            _steady_record(phase, state) for phase, state in experiment.steady_states),
        faults=() if experiment is None else tuple(fault_record(r, experiment.timeline) for r in experiment.receipts),
        timeline=timeline,
        sut_exits=() if timeline is None else sut_exits(timeline),
        verdict=verdict,
        error=error,
        notes=(*(experiment.notes if experiment is not None else ()), *notes),
        logs=tuple(logs),
        margin_rule=margin_rule() if experiment is not None else None,
        mode=mode,
        toxiproxy_url=toxiproxy_url or (experiment.env.proxy_url if experiment is not None else ""),
        commands=commands,
        command_queries=queries,
    )


def _commands(experiment: Experiment | None) -> tuple[tuple[CommandRecord, ...], tuple[QueryRecord, ...]]:
    """What the experiment ran on the deployment (attach mode; nothing in managed mode)."""
    if experiment is None:
        return (), ()
    runs, queries = experiment.commands_run()
    offset = experiment.timeline.offset_s
    return (tuple(CommandRecord(what=r.what, action=r.action, component=r.component, command=r.command,
                                exit_code=r.exit_code, duration_s=r.duration_s, offset_s=offset(r.started_ns),
                                timed_out=r.timed_out, output=r.output) for r in runs),
            tuple(QueryRecord(component=q.component, action=q.action, command=q.command, runs=q.runs, max_s=q.max_s)
                  for q in queries))
