"""The run journal: one versioned record per experiment, and its one JSON form.

Chaos Toolkit's vocabulary (provenance, seed, target, start and end, steady states before and after,
faults with their receipts and reverts, verdicts, `schema_version`), built from frozen dataclasses
and turned into JSON in exactly one place, `journal_to_data` / `journal_from_data`. The HTML report,
the terminal scorecard and the JUnit properties are functions of a `Journal`, so a stored journal
re-renders a run the way a Jepsen checker re-runs on a stored history.

The JSON shape is described by `journal.schema.json` and `README.md` next to this module; bump
`SCHEMA_VERSION` on any incompatible change. Additions a version-2 journal written before them
lacks (a fault's `notes`, the `margin_rule`) load with their empty default, so older journals keep
loading. Version 2 came with the answer vocabulary and the open-model load: its timeline records
what answers showed (`seen`), each request's `sent_ns` and the requests not sent ("NotSent", with
`in_flight`), and the journal each process's logs. Attach mode added `mode`, `toxiproxy_url`,
`commands` and `command_queries` (absent in earlier journals: managed, unknown, none).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from chaos.answers import AllOf, AnyOf, BodyMatches, Header, JsonValue, Not, describe
from chaos.answers import Status as AnswerStatus
from chaos.contracts import Status, Verdict, verdict_to_data
from chaos.observe import ProcessExited, Timeline, timeline_from_data, timeline_to_data

__all__ = [
    "SCHEMA_VERSION",
    "SUPPORTED_VERSIONS",
    "CommandRecord",
    "ContractInfo",
    "FaultRecord",
    "Journal",
    "MarginRule",
    "Outcome",
    "ProcessLog",
    "Provenance",
    "QueryRecord",
    "SteadyStateRecord",
    "SutExit",
    "TargetInfo",
    "journal_from_data",
    "journal_to_data",
    "sut_exits",
]

SCHEMA_VERSION: Final = 2
"""Version of the journal's JSON form (the timeline inside carries its own version)."""
SUPPORTED_VERSIONS: Final = (2,)
"""What `journal_from_data` reads (a version-1 journal's timeline kept answer bodies another way)."""


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
    """The target file the run used: its absolute path, a short name for headings, and the SHA-256
    of its bytes (which version of the file; "" when unknown), with the `--chaos-sut-env` values the
    service was started with."""

    path: str
    name: str
    sha256: str = ""
    sut_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessLog:
    """What one process of the service wrote during the experiment (stdout and stderr, in order).

    Bounded: the last `LOG_TAIL_LINES` lines when the experiment passed, up to `LOG_FULL_BYTES`
    otherwise (`truncated` says something before `text` was left out); `kept_at` is where the full
    log was saved for a failed experiment ("" when it was not)."""

    process: str
    text: str
    lines: int
    truncated: bool = False
    kept_at: str = ""


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
    answer: str                      # the healthy answer it judged by, in words
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
class MarginRule:
    """How a declared budget became the allowed one in this run (`chaos.experiment.timing`): it may be
    overrun by `relative` of itself, but by no more than `long_base_s` + `long_share` of itself (0:
    no such cap), and by at least `floor_s`. Recorded with the run, so a stored journal says the
    rule its verdicts were judged by even after the rule changes."""

    relative: float
    floor_s: float
    long_base_s: float = 0.0
    long_share: float = 0.0

    def text(self) -> str:
        """ "margin +50 % (at most 1 s + 10 %), at least 0.25 s"."""
        cap = f" (at most {self.long_base_s:g} s + {self.long_share * 100:g} %)" if self.long_base_s else ""
        return f"margin +{self.relative * 100:g} %{cap}, at least {self.floor_s:g} s"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRecord:
    """A command run on the deployment (attach mode): what it did, its exit code (None: it timed out
    and was killed, or could not be run) and duration; `offset_s` from the timeline's anchor."""

    what: str
    action: str
    component: str
    command: str
    exit_code: int | None
    duration_s: float
    offset_s: float
    timed_out: bool = False
    output: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryRecord:
    """Successful runs of one query command (pid, exit_code, ready, logs): how many, the slowest."""

    component: str
    action: str
    command: str
    runs: int
    max_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SutExit:
    """The service under test exited during the experiment (negative code: killed by that signal; pid 0:
    unknown, in journals of runs that did not know it)."""

    pid: int
    exit_code: int
    offset_s: float


def sut_exits(timeline: Timeline, *, process: str = "sut") -> tuple[SutExit, ...]:
    """Each exit of the service the timeline saw, once, with one PID.

    One exit may be stamped twice: by the experiment (`record_exit`) and by the process probe. Both
    name the PID the process had, and a PID exits once, so two stamps with the same PID and code are
    one exit, however far apart (a loaded machine can delay the probe's). A stamp with PID 0 (no PID
    known, as older runs recorded it) is the same exit as one with the same code within a second.
    The earlier instant and the known PID are kept.
    """
    merged: list[SutExit] = []
    for event in timeline.events(ProcessExited):
        if event.process != process:
            continue
        offset = timeline.offset_s(event.at_ns)
        same = next((i for i, e in enumerate(merged) if e.exit_code == event.exit_code and (
            (e.pid != 0 and e.pid == event.pid)
            or (0 in (e.pid, event.pid) and abs(offset - e.offset_s) <= 1.0))), None)
        if same is not None:
            first = merged[same]
            merged[same] = SutExit(pid=first.pid or event.pid, exit_code=first.exit_code,
                                   offset_s=min(first.offset_s, offset))
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
    logs: tuple[ProcessLog, ...] = ()
    margin_rule: MarginRule | None = None
    mode: str = "managed"              # "attach": the suite drove a deployment that ran already
    toxiproxy_url: str = ""
    commands: tuple[CommandRecord, ...] = ()
    command_queries: tuple[QueryRecord, ...] = ()
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
        "target": {"path": journal.target.path, "name": journal.target.name, "sha256": journal.target.sha256,
                   "sut_env": dict(journal.target.sut_env)},
        "backend": journal.backend,
        "mode": journal.mode,
        "toxiproxy_url": journal.toxiproxy_url,
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
            {"phase": s.phase, "ok": s.ok, "max_latency_s": s.max_latency_s, "answer": s.answer,
             "requests": s.requests, "offenders": s.offenders, "explanation": list(s.explanation)}
            for s in journal.steady_states
        ],
        "faults": [_fault_to_data(f) for f in journal.faults],
        "timeline": None if journal.timeline is None else timeline_to_data(journal.timeline),
        "sut_exits": [{"pid": e.pid, "exit_code": e.exit_code, "offset_s": e.offset_s} for e in journal.sut_exits],
        "verdict": None if journal.verdict is None else verdict_to_data(journal.verdict),
        "error": journal.error,
        "notes": list(journal.notes),
        "logs": [{"process": g.process, "text": g.text, "lines": g.lines, "truncated": g.truncated,
                  "kept_at": g.kept_at} for g in journal.logs],
        "commands": [{"what": c.what, "action": c.action, "component": c.component, "command": c.command,
                      "exit_code": c.exit_code, "duration_s": c.duration_s, "offset_s": c.offset_s,
                      "timed_out": c.timed_out, "output": c.output} for c in journal.commands],
        "command_queries": [{"component": q.component, "action": q.action, "command": q.command, "runs": q.runs,
                             "max_s": q.max_s} for q in journal.command_queries],
        "margin_rule": None if journal.margin_rule is None else {
            "relative": journal.margin_rule.relative, "floor_s": journal.margin_rule.floor_s,
            "long_base_s": journal.margin_rule.long_base_s, "long_share": journal.margin_rule.long_share},
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
    if isinstance(value, AnswerStatus | Header | JsonValue | BodyMatches | AllOf | AnyOf | Not):
        return describe(value)   # an answer spec, in the words of the reference
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
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"journal: schema_version {version!r} is not supported "
                         f"(expected one of {', '.join(map(str, SUPPORTED_VERSIONS))})")
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
                answer=str(s["answer"]), requests=int(s["requests"]),
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
        where = "margin_rule"
        rule = data.get("margin_rule")   # absent in journals written before it
        margin_rule = None if rule is None else MarginRule(
            relative=float(rule["relative"]), floor_s=float(rule["floor_s"]),
            long_base_s=float(rule.get("long_base_s", 0.0)), long_share=float(rule.get("long_share", 0.0)))
        where = "commands"
        commands = tuple(CommandRecord(
            what=str(c["what"]), action=str(c["action"]), component=str(c["component"]), command=str(c["command"]),
            exit_code=_opt_int(c["exit_code"]), duration_s=float(c["duration_s"]), offset_s=float(c["offset_s"]),
            timed_out=bool(c["timed_out"]), output=str(c["output"])) for c in data.get("commands", ()))
        queries = tuple(QueryRecord(component=str(q["component"]), action=str(q["action"]), command=str(q["command"]),
                                    runs=int(q["runs"]), max_s=float(q["max_s"]))
                        for q in data.get("command_queries", ()))
        where = "journal"
        return Journal(
            provenance=provenance,
            seed=None if data["seed"] is None else int(data["seed"]),
            target=TargetInfo(path=str(data["target"]["path"]), name=str(data["target"]["name"]),
                              sha256=str(data["target"]["sha256"]),
                              sut_env={str(k): str(v) for k, v in data["target"]["sut_env"].items()}),
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
            logs=tuple(ProcessLog(process=str(g["process"]), text=str(g["text"]), lines=int(g["lines"]),
                                  truncated=bool(g["truncated"]), kept_at=str(g["kept_at"]))
                       for g in data["logs"]),
            margin_rule=margin_rule,
            mode=str(data.get("mode", "managed")),
            toxiproxy_url=str(data.get("toxiproxy_url", "")),
            commands=commands,
            command_queries=queries,
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
