"""Shared inputs of the report tests: one real catalog run (with its report) and hand-built journals."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.histories import History, ns

from chaos.contracts import Status, Verdict, combine
from chaos.observe import (
    FaultEnded,
    FaultStarted,
    Gauge,
    Mark,
    ProbeResult,
    ProcessExited,
    RequestSkipped,
    UpstreamCall,
)
from chaos.report import (
    ContractInfo,
    FaultRecord,
    Journal,
    MarginRule,
    Outcome,
    Provenance,
    SteadyStateRecord,
    TargetInfo,
    sut_exits,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOG_TIMEOUT_S = 240   # one readiness experiment takes ~20 s alone; generous for a loaded 2-core machine


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogRun:
    """`pytest experiments/ --chaos-contract readiness --chaos-report DIR --junitxml DIR/junit.xml`."""

    report_dir: Path
    output: str
    returncode: int

    @property
    def journals(self) -> list[Path]:
        return sorted((self.report_dir / "journals").glob("*.json"))


def _run_catalog(report_dir: Path, basetemp: Path) -> CatalogRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "experiments/", "--chaos-contract", "readiness",
         "--chaos-report", str(report_dir), "--junitxml", str(report_dir / "junit.xml"),
         "-p", "no:randomly", "-p", "no:cacheprovider", f"--basetemp={basetemp}"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output, _ = proc.communicate(timeout=CATALOG_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)   # the plugin reaps its environment on SIGTERM
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    return CatalogRun(report_dir=report_dir, output=output, returncode=proc.returncode)


@pytest.fixture(scope="session")
def catalog_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> CatalogRun:
    """One real run of the catalog's readiness experiment with a report, done once per test session
    (xdist workers share it through a lock in their common temp dir)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if hasattr(request.config, "workerinput") else base
    root = shared / "report-catalog-run"
    with (shared / "report-catalog-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # bounded: the holder's run is bounded by CATALOG_TIMEOUT_S
        record = root / "run.json"
        if record.exists():
            saved = json.loads(record.read_text())
            return CatalogRun(report_dir=Path(saved["dir"]), output=saved["output"], returncode=saved["rc"])
        root.mkdir(exist_ok=True)
        run = _run_catalog(root / "out", root / "base")
        record.write_text(json.dumps({"dir": str(run.report_dir), "output": run.output, "rc": run.returncode}))
        return run


# --- hand-built journals ----------------------------------------------------------------------------

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def provenance() -> Provenance:
    return Provenance(suite_version="0.1.0", python="3.11.2 (CPython)", platform="Linux-test", node="ci",
                      pytest_version="8.0.0")


def drain_history() -> History:
    """A graceful-drain-like history with one of every event type: load, a SIGTERM fault, refusals,
    probes failing, an exit, upstream calls, a gauge, a skipped slot."""
    h = History()
    h.steady(0.0, 1.0, every_s=0.05)
    h.mark("sigterm", 1.0)
    h.tl.append(FaultStarted(name="signal(sut, SIGTERM)", at_ns=ns(1.0), detail="send SIGTERM"))
    h.req(0.9, latency_s=2.0, label="in_flight")
    h.steady(1.2, 3.0, every_s=0.1, status=None, error="ConnectError", latency_s=0.002)
    h.req(1.1, latency_s=0.02, status=503)
    h.req(1.15, latency_s=0.02, status=404)
    h.probes("health", 0.0, 3.5, ok=True)
    h.probes("ready", 0.0, 1.0, ok=True)
    h.probes("ready", 1.0, 3.0, ok=False, status=503)
    h.tl.append(ProbeResult(probe="alive", ok=True, start_ns=ns(0.5), end_ns=ns(0.501)))
    h.tl.append(ProcessExited(pid=0, exit_code=0, at_ns=ns(3.0)))         # the experiment's late stamp
    h.tl.append(ProcessExited(pid=4100, exit_code=0, at_ns=ns(3.05)))     # the probe's, same exit
    h.tl.append(FaultEnded(name="signal(sut, SIGTERM)", at_ns=ns(3.5), detail="start the SUT again"))
    h.tl.append(UpstreamCall(seq=1, method="GET", path="/quote", arrival_ns=ns(0.3), status=200))
    h.tl.append(UpstreamCall(seq=2, method="GET", path="/quote", arrival_ns=ns(0.4), status=None))
    h.tl.append(Gauge(name="db_connections", value=5.0, at_ns=ns(0.7)))
    h.tl.append(RequestSkipped(label="api", at_ns=ns(0.75)))
    h.tl.append(Mark(name="db back", at_ns=ns(3.2), detail="after restart"))
    return h


JournalFactory = Callable[..., Journal]

_ABORT_EVIDENCE = ("experiment test_sigterm_drains aborted: stop condition error_rate>50%/1s: 9/10 requests (90%) "
                  "failed between t+1.00 s and t+2.00 s, above 50%\n  GET /api -> ReadTimeout at t+1.20 s\n"
                  "healed at once: signal(sut, SIGTERM): start the SUT again")
_ERROR_TEXT = {Outcome.ERROR: "Traceback (most recent call last):\nRuntimeError: boom",
               Outcome.ABORTED: _ABORT_EVIDENCE}


@pytest.fixture
def make_journal() -> JournalFactory:
    """Build a journal by hand: `make_journal(outcome=Outcome.FAILED, contract="db_restart", ...)`."""

    def build(
        *,
        outcome: Outcome = Outcome.PASSED,
        contract: str | None = "graceful_drain",
        name: str = "test_sigterm_drains",
        figures: dict[str, float] | None = None,
        detail: str | None = None,
        duration_s: float = 4.25,
        with_timeline: bool = True,
        seed: int | None = None,
        fault_notes: tuple[str, ...] = (),
        verdict: Verdict | None = None,
        history: History | None = None,
        margin_rule: MarginRule | None = None,
        faults: tuple[FaultRecord, ...] | None = None,
    ) -> Journal:
        """`verdict`, `history` (the timeline), `margin_rule` and `faults` replace the drain's own."""
        if history is None and with_timeline:
            history = drain_history()
        status = Status(outcome.value) if outcome.value in {s.value for s in Status} else None
        if verdict is None and status is not None:
            part = Verdict(contract="exit", status=status, summary=f"the exit was {status}",
                           evidence=("+3.000 s sut exited 0",) if status is not Status.PASSED else (),
                           figures=figures if figures is not None else {"drain_s": 2.0, "grace_s": 10.0})
            verdict = combine([part], contract="drains")
        return Journal(
            provenance=provenance(), seed=seed,
            target=TargetInfo(path="/srv/app/chaos.toml", name="app"), backend="local",
            experiment=name, nodeid=f"experiments/test_shutdown.py::{name}",
            contract=None if contract is None else ContractInfo(
                name=contract, params={"slow_request": "GET /api/slow?seconds=2", "slow_request_s": 2.0},
                defects=("no_graceful_shutdown",)),
            started_at=START, ended_at=START.replace(second=4, microsecond=250000), duration_s=duration_s,
            outcome=outcome,
            outcome_detail=detail if detail is not None else (verdict.summary if verdict else "skipped: no contract"),
            steady_states=(SteadyStateRecord(phase="before", ok=True, max_latency_s=1.0, answer="status 2xx",
                                             requests=5, offenders=0,
                                             explanation=("steady state: 5/5 requests answered status 2xx "
                                                          "within 1 s",)),),
            faults=faults if faults is not None else (
                (FaultRecord(name="signal(sut, SIGTERM)", intent="send SIGTERM to the SUT",
                             injected_offset_s=1.0, reverted_offset_s=3.5,
                             effects=("SIGTERM delivered to SUT pid 4100",), hits=1, pid_before=4100,
                             pid_after=4188, signal="SIGTERM", revert_steps=("start the SUT again",),
                             notes=fault_notes),)
                if with_timeline else ()),
            timeline=None if history is None else history.tl,
            sut_exits=() if history is None else sut_exits(history.tl),
            verdict=verdict,
            error=_ERROR_TEXT.get(outcome),
            notes=("hand-built",),
            margin_rule=margin_rule,
        )

    return build
