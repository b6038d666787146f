"""The run journal: one versioned record per experiment, and its one JSON form.

Chaos Toolkit's vocabulary (provenance, seed, target, start and end, steady states before and after,
faults with their receipts and reverts, verdicts, `schema_version`), built from frozen dataclasses
and turned into JSON in exactly one place, `journal_to_data` / `journal_from_data`. The HTML report,
the terminal scorecard and the JUnit properties are functions of a `Journal`, so a stored journal
re-renders a run the way a Jepsen checker re-runs on a stored history.

The JSON shape is described by `journal.schema.json` and `README.md` next to this module; bump
`SCHEMA_VERSION` on any incompatible change. Additions a version-1 journal written before them
lacks (a fault's `notes`) load with their empty default, so older journals keep loading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from chaos.contracts import Status, Verdict, verdict_to_data
from chaos.observe import ProcessExited, Timeline, timeline_from_data, timeline_to_data

__all__ = [
    "SCHEMA_VERSION",
    "ContractInfo",
    "FaultRecord",
    "Journal",
    "Outcome",
    "Provenance",
    "SteadyStateRecord",
    "SutExit",
    "TargetInfo",
    "journal_from_data",
    "journal_to_data",
    "sut_exits",
]

SCHEMA_VERSION: Final = 1
"""Version of the journal's JSON form (the timeline inside carries its own version)."""


class Outcome(StrEnum):
    """How an experiment ended, as a person reading the report sorts it.

    The first three are the contract verdict's own values; SKIPPED (the target declares no such
    contract, or the experiment skipped itself) and ERROR (the experiment itself broke: a setup
    failure, an exception in its body, a fault that could not be reverted) say nothing about the
    service and are kept apart from them. ABORTED is neither: a stop condition or the game-day
    operator stopped the run and every active fault was healed at once, so the contract was never
    judged, but the reason (the trip's evidence) may well be about the service.
    """

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"
    ERROR = "error"
    ABORTED = "aborted"

    @classmethod
    def of(cls, status: Status) -> Outcome:
        """The outcome a contract verdict of `status` gives."""
        return cls(str(status))


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """What ran the experiment: suite and tool versions, interpreter and machine."""

    suite_version: str
    python: str               # "3.11.2 (CPython)"
    platform: str             # platform.platform()
    node: str                 # host name
    pytest_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetInfo:
    """The target file the run used: its absolute path and a short name for headings."""

    path: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractInfo:
    """The `[contracts.<name>]` table the experiment checked, parameters as written (request lines as text)."""

    name: str
    params: Mapping[str, object] = field(default_factory=dict)
    defects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SteadyStateRecord:
    """One steady-state check: its phase ("before", "after"), tolerance and what it found."""

    phase: str
    ok: bool
    max_latency_s: float
    statuses: tuple[int, ...]
    requests: int
    offenders: int
    explanation: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRecord:
    """One fault as its receipt recorded it: intent, effects, the revert and its verification.

    Instants are offsets in seconds from the timeline's anchor (None: never injected / reverted).
    `notes` say how the fault was protected or degraded (leased, unleased on a real Toxiproxy, the
    lease lapsed): what a reader needs to trust the revert.
    """

    name: str
    intent: str
    injected_offset_s: float | None
    reverted_offset_s: float | None
    effects: tuple[str, ...] = ()
    hits: int = 0
    pid_before: int | None = None
    pid_after: int | None = None
    signal: str | None = None
    revert_steps: tuple[str, ...] = ()
    revert_errors: tuple[str, ...] = ()
    leftovers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def bit(self) -> bool:
        """Whether anything shows the fault touched the system (no effect: inconclusive)."""
        return bool(self.effects)

    @property
    def reverted_cleanly(self) -> bool:
        return self.reverted_offset_s is not None and not self.revert_errors and not self.leftovers


@dataclass(frozen=True, slots=True, kw_only=True)
class SutExit:
    """The service under test exited during the experiment (negative code: killed by that signal)."""

    pid: int
    exit_code: int
    offset_s: float


def sut_exits(timeline: Timeline, *, process: str = "sut") -> tuple[SutExit, ...]:
    """Each exit of the service the timeline saw, once.

    One exit may be stamped twice: by the experiment (`record_exit`, pid 0 when the PID was already
    gone) and by the process probe a moment later. An exit with the same code within a second of
    the previous one, where either PID is unknown or both match, is that same exit: the earlier
    instant and the known PID are kept.
    """
    merged: list[SutExit] = []
    for event in timeline.events(ProcessExited):
        if event.process != process:
            continue
        offset = timeline.offset_s(event.at_ns)
        last = merged[-1] if merged else None
        if (last is not None and last.exit_code == event.exit_code and offset - last.offset_s <= 1.0
                and (0 in (last.pid, event.pid) or last.pid == event.pid)):
            merged[-1] = SutExit(pid=last.pid or event.pid, exit_code=last.exit_code, offset_s=last.offset_s)
            continue
        merged.append(SutExit(pid=event.pid, exit_code=event.exit_code, offset_s=offset))
    return tuple(merged)


@dataclass(frozen=True, slots=True, kw_only=True)
class Journal:
    """Everything known about one experiment's run.

    `timeline` and `verdict` are None when the experiment never got as far (skipped before it
    started, an error before a verdict); `outcome_detail` is the one line a reader needs next to
    the outcome: the verdict's summary, the skip reason, the error or why it was aborted; `error` is
    the full report of an experiment that broke (its traceback) or was aborted (the stop condition's
    evidence and what was healed at once).
    """

    provenance: Provenance
    seed: int | None
    target: TargetInfo
    backend: str
    experiment: str
    nodeid: str
    contract: ContractInfo | None
    started_at: datetime
    ended_at: datetime
    duration_s: float
    outcome: Outcome
    outcome_detail: str = ""
    steady_states: tuple[SteadyStateRecord, ...] = ()
    faults: tuple[FaultRecord, ...] = ()
    timeline: Timeline | None = field(default=None, compare=False)
    sut_exits: tuple[SutExit, ...] = ()
    verdict: Verdict | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def contract_name(self) -> str:
        """The contract's name, or "-" for an experiment that checks none."""
        return self.contract.name if self.contract is not None else "-"


# --- to JSON ------------------------------------------------------------------------------------

def journal_to_data(journal: Journal) -> dict[str, object]:
    """The journal as JSON-compatible data; the only place its JSON shape is written."""
    p = journal.provenance
    return {
        "schema_version": journal.schema_version,
        "suite": {"name": "chaos-suite", "version": p.suite_version},
        "platform": {"python": p.python, "platform": p.platform, "node": p.node, "pytest": p.pytest_version},
        "seed": journal.seed,
        "target": {"path": journal.target.path, "name": journal.target.name},
        "backend": journal.backend,
        "experiment": {"name": journal.experiment, "nodeid": journal.nodeid},
        "contract": None if journal.contract is None else {
            "name": journal.contract.name,
            "params": {k: _json_value(v) for k, v in journal.contract.params.items()},
            "defects": list(journal.contract.defects),
        },
        "start": journal.started_at.isoformat(),
        "end": journal.ended_at.isoformat(),
        "duration_s": journal.duration_s,
        "outcome": str(journal.outcome),
        "outcome_detail": journal.outcome_detail,
        "steady_states": [
            {"phase": s.phase, "ok": s.ok, "max_latency_s": s.max_latency_s, "statuses": list(s.statuses),
             "requests": s.requests, "offenders": s.offenders, "explanation": list(s.explanation)}
            for s in journal.steady_states
        ],
        "faults": [_fault_to_data(f) for f in journal.faults],
        "timeline": None if journal.timeline is None else timeline_to_data(journal.timeline),
        "sut_exits": [{"pid": e.pid, "exit_code": e.exit_code, "offset_s": e.offset_s} for e in journal.sut_exits],
        "verdict": None if journal.verdict is None else verdict_to_data(journal.verdict),
        "error": journal.error,
        "notes": list(journal.notes),
    }


def _fault_to_data(fault: FaultRecord) -> dict[str, object]:
    return {
        "name": fault.name,
        "intent": fault.intent,
        "injected_offset_s": fault.injected_offset_s,
        "reverted_offset_s": fault.reverted_offset_s,
        "effects": list(fault.effects),
        "hits": fault.hits,
        "pid_before": fault.pid_before,
        "pid_after": fault.pid_after,
        "signal": fault.signal,
        "revert_steps": list(fault.revert_steps),
        "revert_errors": list(fault.revert_errors),
        "leftovers": list(fault.leftovers),
        "notes": list(fault.notes),
        # derived, for readers of the raw JSON; ignored when loading
        "bit": fault.bit,
        "reverted_cleanly": fault.reverted_cleanly,
    }


def _json_value(value: object) -> object:
    """A contract parameter as JSON: request lines become their text, tables become objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


# --- from JSON ----------------------------------------------------------------------------------

def journal_from_data(data: Mapping[str, Any]) -> Journal:
    """Rebuild a journal from `journal_to_data` output.

    ValueError names the field at fault; validate against the schema first (`chaos.report.schema`)
    for a full list of problems.
    """
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"journal: schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
    where = "journal"
    try:
        where = "platform"
        platform = data["platform"]
        provenance = Provenance(
            suite_version=str(data["suite"]["version"]), python=str(platform["python"]),
            platform=str(platform["platform"]), node=str(platform["node"]), pytest_version=str(platform["pytest"]),
        )
        where = "contract"
        contract = None if data["contract"] is None else ContractInfo(
            name=str(data["contract"]["name"]),
            params=MappingProxyType(dict(data["contract"]["params"])),
            defects=tuple(str(d) for d in data["contract"]["defects"]),
        )
        where = "steady_states"
        steady = tuple(
            SteadyStateRecord(
                phase=str(s["phase"]), ok=bool(s["ok"]), max_latency_s=float(s["max_latency_s"]),
                statuses=tuple(int(x) for x in s["statuses"]), requests=int(s["requests"]),
                offenders=int(s["offenders"]), explanation=tuple(str(x) for x in s["explanation"]),
            )
            for s in data["steady_states"]
        )
        where = "faults"
        faults = tuple(_fault_from_data(f) for f in data["faults"])
        where = "timeline"
        timeline = None if data["timeline"] is None else timeline_from_data(data["timeline"])
        where = "sut_exits"
        exits = tuple(
            SutExit(pid=int(e["pid"]), exit_code=int(e["exit_code"]), offset_s=float(e["offset_s"]))
            for e in data["sut_exits"]
        )
        where = "verdict"
        verdict = None if data["verdict"] is None else _verdict_from_data(data["verdict"])
        where = "journal"
        return Journal(
            provenance=provenance,
            seed=None if data["seed"] is None else int(data["seed"]),
            target=TargetInfo(path=str(data["target"]["path"]), name=str(data["target"]["name"])),
            backend=str(data["backend"]),
            experiment=str(data["experiment"]["name"]),
            nodeid=str(data["experiment"]["nodeid"]),
            contract=contract,
            started_at=datetime.fromisoformat(str(data["start"])),
            ended_at=datetime.fromisoformat(str(data["end"])),
            duration_s=float(data["duration_s"]),
            outcome=Outcome(str(data["outcome"])),
            outcome_detail=str(data["outcome_detail"]),
            steady_states=steady,
            faults=faults,
            timeline=timeline,
            sut_exits=exits,
            verdict=verdict,
            error=None if data["error"] is None else str(data["error"]),
            notes=tuple(str(n) for n in data["notes"]),
        )
    except KeyError as exc:
        raise ValueError(f"journal: {where}: missing field {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(f"journal: {where}: {exc}") from exc


def _fault_from_data(raw: Mapping[str, Any]) -> FaultRecord:
    return FaultRecord(
        name=str(raw["name"]),
        intent=str(raw["intent"]),
        injected_offset_s=_opt_float(raw["injected_offset_s"]),
        reverted_offset_s=_opt_float(raw["reverted_offset_s"]),
        effects=tuple(str(x) for x in raw["effects"]),
        hits=int(raw["hits"]),
        pid_before=_opt_int(raw["pid_before"]),
        pid_after=_opt_int(raw["pid_after"]),
        signal=None if raw["signal"] is None else str(raw["signal"]),
        revert_steps=tuple(str(x) for x in raw["revert_steps"]),
        revert_errors=tuple(str(x) for x in raw["revert_errors"]),
        leftovers=tuple(str(x) for x in raw["leftovers"]),
        notes=tuple(str(x) for x in raw.get("notes", ())),   # absent in journals written before fault notes
    )


def _verdict_from_data(raw: Mapping[str, Any]) -> Verdict:
    """The inverse of `chaos.contracts.verdict_to_data`, parts included."""
    return Verdict(
        contract=str(raw["contract"]),
        status=Status(str(raw["status"])),
        summary=str(raw["summary"]),
        evidence=tuple(str(x) for x in raw["evidence"]),
        figures={str(k): float(v) for k, v in raw["figures"].items()},
        error=None if raw["error"] is None else str(raw["error"]),
        parts=tuple(_verdict_from_data(p) for p in raw["parts"]),
    )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
