"""Reports of a pytest run: a journal per experiment, the HTML report, the terminal scorecard, JUnit properties.

When an experiment's outcome is known (after its call, or when its setup skipped or broke), a
`pytest_runtest_makereport` wrapper builds its `Journal`, writes it under `--chaos-report DIR`
(`DIR/journals/<nodeid slug>.json`: passed, failed, inconclusive, skipped, aborted, and errored
whenever an `Experiment` exists) and attaches the scorecard row as `item.user_properties`
(`chaos.contract`, `chaos.verdict`, `chaos.figure.*`, `chaos.journal`). Those properties are what
`--junitxml` writes and what pytest-xdist ships to the controller, which rebuilds the rows from
them for the terminal scorecard and builds `DIR/index.html` from every journal in the directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaos.contracts import Verdict
from chaos.errors import JournalError
from chaos.experiment import Experiment
from chaos.experiment.checkpoints import ExperimentAborted
from chaos.pytest_plugin.settings import SETTINGS_KEY, TARGET_KEY
from chaos.pytest_plugin.verdicts import VERDICT_KEY
from chaos.report import Outcome, journal_of, summarise, summary_from_properties, summary_to_properties
from chaos.report.capture import process_logs
from chaos.report.html import write_html
from chaos.report.journal import ProcessLog
from chaos.report.masking import SecretMask
from chaos.report.scorecard import scorecard_lines
from chaos.report.store import JOURNALS_DIR, clear_journals, keep_logs, mask_journal, read_journal, write_journal
from chaos.report.summary import Summary

__all__ = ["REPORTING_KEY", "ChaosReporting", "ReportSettings", "install"]

_STARTED_KEY = pytest.StashKey[datetime]()
_PROBLEM_PROPERTY = "chaos.journal_error"
_MAX_ERROR_TEXT = 20_000
_MARKUP = {
    Outcome.PASSED: {"green": True},
    Outcome.FAILED: {"red": True, "bold": True},
    Outcome.INCONCLUSIVE: {"yellow": True, "bold": True},
    Outcome.ERROR: {"purple": True, "bold": True},
    Outcome.ABORTED: {"cyan": True, "bold": True},
    Outcome.SKIPPED: {},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSettings:
    """Where the report goes (None: no files, the scorecard and JUnit properties only)."""

    report_dir: Path | None
    source: str = ""

    @classmethod
    def from_config(cls, config: pytest.Config) -> ReportSettings:
        """--chaos-report (relative to the current directory), else the `chaos_report` ini value
        (relative to the rootdir)."""
        option = config.getoption("chaos_report", None)
        if option:
            return cls(report_dir=(Path.cwd() / Path(str(option)).expanduser()).resolve(), source="--chaos-report")
        ini = config.getini("chaos_report")
        if ini:
            return cls(report_dir=(config.rootpath / Path(str(ini)).expanduser()).resolve(),
                       source="chaos_report in the ini file")
        return cls(report_dir=None)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_experiment(item: pytest.Item) -> bool:
    return item.get_closest_marker("chaos_contract") is not None or "experiment" in getattr(item, "fixturenames", ())


def _contract_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("chaos_contract")
    return str(marker.args[0]) if marker is not None and marker.args else None


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "skipped")


def _when(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


class ChaosReporting:
    """The reporting plugin of one pytest process (controller, worker, or a run without xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = ReportSettings.from_config(config)
        self.summaries: dict[str, Summary] = {}
        self.problems: list[str] = []
        self.html: Path | None = None
        self.journal_count = 0

    # --- per experiment (in the process that runs it) -------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if not _is_experiment(item):
            return report
        if call.when == "setup":
            item.stash[_STARTED_KEY] = _when(call.start)
        concluded = (call.when == "call") or (call.when == "setup" and not report.passed)
        if concluded:
            summary, problem = self._conclude(item, call, report)
            properties = summary_to_properties(summary) + self._run_properties()
            if problem is not None:      # carried to the controller (xdist) and printed at the end
                properties.append((_PROBLEM_PROPERTY, problem))
            item.user_properties.extend(properties)
            report.user_properties.extend(properties)
        return report

    def _conclude(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> tuple[Summary, str | None]:
        """The experiment's scorecard row, after writing its journal; and what went wrong writing it."""
        experiment = item.funcargs.get("experiment") if hasattr(item, "funcargs") else None
        if not isinstance(experiment, Experiment):
            experiment = None
        verdict = item.stash.get(VERDICT_KEY, None)
        outcome, detail, error = self._outcome(call, report, verdict, experiment)
        settings = self.config.stash[SETTINGS_KEY]
        # the experiment starts when its Experiment does (the plot's 0 s), not when the session's
        # environment began starting in the setup of the first test
        started = _when(experiment.timeline.anchor_wall_s) if experiment is not None else item.stash.get(
            _STARTED_KEY, _when(call.start))
        target = self.config.stash.get(TARGET_KEY, None)
        mask = SecretMask(target.secrets if target is not None else ())
        problem: str | None = None
        logs: tuple[ProcessLog, ...] = ()
        if experiment is not None:
            texts = {name: mask.text(text) for name, text in experiment.process_logs().items()}
            logs = process_logs(texts, full=outcome is not Outcome.PASSED)
            if self.settings.report_dir is not None and outcome not in (Outcome.PASSED, Outcome.SKIPPED):
                try:
                    logs = keep_logs(self.settings.report_dir, item.nodeid, logs, texts)
                except OSError as exc:
                    problem = f"could not keep the logs of {item.nodeid}: {exc}"
        journal = mask_journal(journal_of(
            nodeid=item.nodeid, name=item.name, target_path=settings.target_path, backend=settings.backend,
            started_at=started, ended_at=_when(call.stop),
            outcome=outcome, outcome_detail=detail, experiment=experiment, contract_name=_contract_of(item),
            verdict=verdict, seed=settings.seed, error=error, logs=logs, sut_env=settings.sut_env,
            target_sha256=target.sha256 if target is not None else "",
            mode="attach" if target is not None and target.attached else "managed",
            toxiproxy_url=target.attach.toxiproxy_url or "" if target is not None and target.attach else "",
        ), mask)
        path: Path | None = None
        if self.settings.report_dir is not None and (experiment is not None or outcome is not Outcome.ERROR):
            try:
                path = write_journal(self.settings.report_dir, journal)
            except OSError as exc:
                # a full disk must not turn a contract verdict into a crash of the run
                problem = f"could not write the journal of {journal.nodeid}: {exc}"
        return summarise(journal, journal_path=None if path is None else str(path)), problem

    def _run_properties(self) -> list[tuple[str, object]]:
        """Which target file (by content) and which --chaos-sut-env the experiment ran with (JUnit)."""
        settings = self.config.stash[SETTINGS_KEY]
        target = self.config.stash.get(TARGET_KEY, None)
        mask = SecretMask(target.secrets if target is not None else ())
        env = ",".join(f"{k}={mask.text(v)}" for k, v in settings.sut_env.items())
        return [("chaos.target_sha256", target.sha256 if target is not None else ""), ("chaos.sut_env", env)]

    @staticmethod
    def _outcome(
        call: pytest.CallInfo[None], report: pytest.TestReport, verdict: Verdict | None,
        experiment: Experiment | None,
    ) -> tuple[Outcome, str, str | None]:
        """The outcome, its one-line detail, and the error text of an experiment that broke or was aborted.

        An abort comes first: it is the root cause of whatever the body did after it (the checkpoints
        plugin fails the test as `ABORTED: ...`), and it is not an error of the experiment."""
        if experiment is not None and experiment.aborted is not None:
            reason = experiment.aborted.explain()   # "stop condition <guard>: <summary>", then the evidence
            evidence = reason
            try:
                experiment.raise_if_aborted()
            except ExperimentAborted as exc:   # the trip's evidence plus what was healed at once
                evidence = str(exc)
            return Outcome.ABORTED, f"aborted: {reason.splitlines()[0]}", evidence
        if report.skipped:
            return Outcome.SKIPPED, _skip_reason(report), None
        if verdict is not None and (report.passed or not verdict.passed):
            return Outcome.of(verdict.status), verdict.summary, None
        if report.failed:
            what = call.excinfo.exconly() if call.excinfo is not None else "the experiment failed"
            where = "setup" if call.when == "setup" else "the experiment"
            return Outcome.ERROR, f"{where} broke: {what}", report.longreprtext[-_MAX_ERROR_TEXT:]
        return Outcome.PASSED, "passed (no contract verdict recorded)", None

    # --- the whole run (in the controller, or the only process) ------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect the rows from the teardown reports, which carry every property the test gathered."""
        if report.when != "teardown":
            return
        self.problems.extend(str(value) for name, value in report.user_properties if name == _PROBLEM_PROPERTY)
        summary = summary_from_properties(report.nodeid, report.nodeid.rpartition("::")[2], report.user_properties)
        if summary is not None:
            self.summaries[report.nodeid] = summary

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.settings.report_dir is not None and not _is_worker(self.config) and not self.config.option.collectonly:
            clear_journals(self.settings.report_dir)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Build DIR/index.html from every journal in DIR/journals (all workers' included)."""
        report_dir = self.settings.report_dir
        if report_dir is None or _is_worker(self.config) or self.config.option.collectonly:
            return
        journals = []
        for path in sorted((report_dir / JOURNALS_DIR).glob("*.json")):
            try:
                journals.append(read_journal(path))
            except JournalError as exc:
                self.problems.append(str(exc))
        try:
            self.html = write_html(report_dir / "index.html", journals)
        except OSError as exc:
            self.problems.append(f"could not write {report_dir / 'index.html'}: {exc}")
        self.journal_count = len(journals)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if self.settings.report_dir is None:
            return []
        return [f"chaos: report in {self.settings.report_dir} ({self.settings.source})"]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.summaries and self.html is None and not self.problems:
            return
        terminalreporter.write_sep("=", "chaos scorecard")
        rows = sorted(self.summaries.values(), key=lambda s: (s.contract, s.nodeid))
        width = shutil.get_terminal_size(fallback=(120, 24)).columns
        for line, outcome in scorecard_lines(rows, width=width):
            terminalreporter.write_line(line, **(_MARKUP[outcome] if outcome is not None else {"bold": True}))
        if self.html is not None:
            count = f"{self.journal_count} journal{'s' if self.journal_count != 1 else ''}"
            terminalreporter.write_line(f"chaos report: {self.html} ({count})")
        for problem in self.problems:
            terminalreporter.write_line(f"chaos report: {problem}", yellow=True)


REPORTING_KEY = pytest.StashKey[ChaosReporting]()


def install(config: pytest.Config) -> None:
    """Register the reporting plugin for this pytest process (called from the plugin's pytest_configure)."""
    reporting = ChaosReporting(config)
    config.stash[REPORTING_KEY] = reporting
    config.pluginmanager.register(reporting, "chaos.reporting")
