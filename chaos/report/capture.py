"""Building a `Journal` from a live run: the experiment's timeline, receipts, steady states and verdict.

The pytest plugin calls `journal_of` once an experiment's outcome is known (passed, failed,
inconclusive, skipped or broken) and hands the result to the writers; nothing here does I/O
beyond reading versions and the host name.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chaos import __version__
from chaos.contracts import Verdict
from chaos.observe import SteadyState, Timeline
from chaos.report.journal import (
    ContractInfo,
    FaultRecord,
    Journal,
    Outcome,
    Provenance,
    SteadyStateRecord,
    TargetInfo,
    sut_exits,
)

if TYPE_CHECKING:   # only annotations: `chaos report` re-renders journals without importing the runner
    from chaos.experiment import Experiment
    from chaos.faults import Receipt
    from chaos.targetfile import ContractSpec

__all__ = ["contract_info", "fault_record", "journal_of", "provenance", "target_info"]


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


def target_info(path: Path) -> TargetInfo:
    """The target file's path and a short name: its folder for the usual `chaos.toml`, else its stem."""
    name = path.parent.name if path.name == "chaos.toml" and path.parent.name else path.stem
    return TargetInfo(path=str(path), name=name)


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


def _steady_record(phase: str, state: SteadyState) -> SteadyStateRecord:
    return SteadyStateRecord(
        phase=phase, ok=state.ok, max_latency_s=state.tolerance.max_latency_s,
        statuses=tuple(sorted(state.tolerance.statuses)), requests=len(state.records),
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
    return Journal(
        provenance=provenance(),
        seed=experiment.seed if experiment is not None else seed,
        target=target_info(target_path),
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
    )
