"""The terminal scorecard, key figures and the JUnit-property form of a row, from hand-built journals."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from support.histories import ns

from chaos.observe import NOT_SENT, RequestDone
from chaos.report import (
    Journal,
    MarginRule,
    Outcome,
    Summary,
    key_figures,
    render_scorecard,
    scorecard,
    scorecard_lines,
    summarise,
    summary_from_properties,
    summary_to_properties,
)
from chaos.report.figures import format_seconds

MakeJournal = Callable[..., Journal]


def test_scorecard_lists_every_experiment_with_its_key_figures(make_journal: MakeJournal) -> None:
    journals = [
        make_journal(contract="graceful_drain", name="test_drain", duration_s=4.25),
        make_journal(outcome=Outcome.FAILED, contract="db_restart", name="test_restart", duration_s=9.1,
                     figures={"p99_s": 3.01, "budget_s": 1.5, "requests": 40}),
        make_journal(outcome=Outcome.SKIPPED, contract="booking_race", name="test_race", with_timeline=False,
                     detail="target declares no [contracts.booking_race]", duration_s=0.0),
        make_journal(outcome=Outcome.ERROR, contract="readiness", name="test_ready", detail="setup broke: boom",
                     duration_s=4.0),
        make_journal(outcome=Outcome.INCONCLUSIVE, contract="cache_fallback", name="test_cache", duration_s=4.65,
                     figures={"recovers_within.recovery_s": 0.0191, "recovers_within.within_s": 7.5}),
    ]
    text = scorecard(journals)
    lines = text.splitlines()
    assert lines[0] == ("chaos scorecard: 1 passed, 1 failed, 1 inconclusive, 1 error, 1 skipped "
                        "(5 experiments, 22 s)")
    assert lines[1].split() == ["contract", "verdict", "time", "key", "figures", "experiment"]
    rows = {line.split()[0]: line for line in lines[2:] if not line.startswith(" ")}
    assert rows["graceful_drain"].split()[1] == "passed"
    assert "drain 2 s (budget 10 s)" in rows["graceful_drain"]
    assert rows["graceful_drain"].endswith("test_drain")
    assert rows["db_restart"].split()[1] == "FAILED"
    assert "p99 3.01 s (budget 1.5 s)" in rows["db_restart"]
    assert rows["booking_race"].split()[1:4] == ["skipped", "0", "s"]
    assert rows["readiness"].split()[1] == "ERROR"
    assert "requests recovered 19.1 ms after the heal (bound 7.5 s)" in rows["cache_fallback"]
    reasons = [line.strip() for line in lines if line.startswith(" ")]
    assert "-> setup broke: boom" in reasons
    assert "-> exit: the exit was failed" in reasons
    assert not any("skipped" in r for r in reasons)       # a skip is not a problem to explain


def test_scorecard_lines_carry_the_outcome_for_colouring(make_journal: MakeJournal) -> None:
    failed = summarise(make_journal(outcome=Outcome.FAILED, detail="x " * 200))
    lines = scorecard_lines([failed], width=80)
    assert [o for _, o in lines] == [None, None, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED]
    assert all(len(text) <= 80 for text, _ in lines[3:])
    assert lines[-1][0].endswith("...")
    assert render_scorecard([]) == "chaos scorecard: no experiments ran"


def test_key_figures_pick_the_telling_ones_with_their_budgets() -> None:
    figures = {
        "bounded.requests": 83, "bounded.p99_s": 0.017, "bounded.budget_s": 1.5,
        "recovers_within.recovery_s": 0.4, "recovers_within.within_s": 5.0,
        "calls_spaced.calls": 2, "calls_bounded.calls": 8, "calls_bounded.max_calls": 16,
        "survives.probes": 70,
    }
    chosen = key_figures(figures)
    assert [f.text() for f in chosen] == [
        "p99 17 ms (budget 1.5 s)", "requests recovered 400 ms after the heal (bound 5 s)",
        "upstream calls 8 (max 16)"]
    assert key_figures({"survives.probes": 70}) == ()
    assert [f.text() for f in key_figures({"drains.exit.drain_s": 2.23, "drains.exit.grace_s": 10})] == [
        "drain 2.23 s (budget 10 s)"]


def test_format_seconds_reads_like_a_person_would_say_it() -> None:
    assert [format_seconds(s) for s in (0, 0.0004, 0.0191, 0.5, 2.23, 75, 200)] == [
        "0 s", "400 us", "19.1 ms", "500 ms", "2.23 s", "75 s", "3 min 20 s"]
    # values that round up move to the next unit instead of reading "60 s" or "1e+03 ms"
    assert [format_seconds(s) for s in (299.7, 300, 119.6, 0.9996, 0.0009996, 3599.6, 7322, -2.5)] == [
        "5 min 0 s", "5 min 0 s", "2 min 0 s", "1 s", "1 ms", "1 h 0 min 0 s", "2 h 2 min 2 s", "-2.5 s"]


_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_READING = re.compile(r"^(?:(\d+) h )?(?:(\d+) min )?(\d+(?:\.\d+)?) (ns|us|ms|s)$")


def _read_back(shown: str) -> tuple[float, list[int]]:
    """The seconds a formatted duration says, and its whole minute / second parts (empty below 2 min)."""
    match = _READING.match(shown)
    assert match is not None, f"{shown!r} is not a duration a person reads"
    hours, minutes, value, unit = match.groups()
    parts = [int(minutes), int(float(value))] if minutes is not None else []
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(value) * _UNITS[unit], parts


def test_format_seconds_over_a_range_of_values() -> None:
    """A property over every duration from 1 ns to 3 hours (a log grid, every tenth of a second up to
    10 minutes, and seeded random values): it reads back to the value within its rounding, a minute
    or second part is never 60, no exponent, no more than three significant figures below two
    minutes, and a larger duration never reads smaller."""
    rng = random.Random(20240501)
    values = sorted({*(10 ** (e / 20) for e in range(-180, 82)), *(t / 10 for t in range(0, 6001)),
                     *(rng.uniform(0, 3 * 3600) for _ in range(3000)), *(rng.uniform(0, 2) for _ in range(3000))})
    previous = -1.0
    for value in values:
        shown = format_seconds(value)
        if value < 0.5e-9:
            assert shown == "0 s"
            continue
        assert "e" not in shown.replace(" s", "").replace("ns", "").replace("us", "").replace("ms", ""), shown
        back, parts = _read_back(shown)
        if value < 119.5:
            assert abs(back - value) <= value * 0.005 + 1e-12, (value, shown)   # three significant figures
            digits = re.sub(r"\D", "", shown.split()[0]).lstrip("0")
            assert len(digits.rstrip("0") if "." not in shown else digits) <= 3, (value, shown)
        else:
            assert abs(back - value) <= 0.5 + 1e-9, (value, shown)               # whole seconds
            assert all(0 <= p < 60 for p in parts), (value, shown)
        assert back >= previous - 1e-12, (value, shown)
        previous = back
        assert format_seconds(-value) == f"-{shown}"


def test_figures_are_never_cut_mid_number() -> None:
    """A long figure cell wraps between whole figures, then between words, never inside a number or
    between a number and its unit (the cell used to end "slowest failure 1.03 s (budget 1....")."""
    rule = MarginRule(relative=0.5, floor_s=0.25)
    row = Summary(nodeid="e::test_pool", experiment="test_pool", contract="pool_exhaustion", outcome=Outcome.FAILED,
                  detail="fails_fast: 3 of 9 failures took longer than the 1.5 s budget", duration_s=299.7,
                  figures={"fails_fast.max_failure_s": 1.0312, "fails_fast.budget_s": 1.5,
                           "fails_fast.declared_s": 1.0, "bounded.p99_s": 12.3, "bounded.budget_s": 2.25,
                           "bounded.declared_s": 1.5}, margin_rule=rule)
    short = Summary(nodeid="e::test_x", experiment="test_x", contract="cache_fallback", outcome=Outcome.PASSED,
                    duration_s=3.0, figures={"p99_s": 0.017, "budget_s": 1.5})
    text = render_scorecard([row, short], width=100)
    assert "..." not in text
    assert "5 min 0 s" in text
    figures = [f.text() for f in row.key_figures]
    assert figures == ["p99 12.3 s (declared 1.5 s, allowed 2.25 s; margin +50 %, at least 0.25 s)",
                       "slowest failure 1.03 s (declared 1 s, allowed 1.5 s; margin +50 %, at least 0.25 s)"]
    header = text.splitlines()[1]
    start, end = header.index("key figures"), header.index("experiment")
    cells = [line[start:end].strip() for line in text.splitlines()[2:] if not line.lstrip().startswith("->")]
    # every figure is there, whole, once its wrapped lines are joined again
    joined = " ".join(cells)
    for figure in figures:
        assert figure in joined, (figure, cells)
    for cell in cells:
        assert not re.search(r"[\d+]$", cell.rstrip(",")), f"a number parted from its unit: {cell!r}"
        assert not re.match(r"(ns|us|ms|s|%|min|h)\b", cell), f"a unit parted from its number: {cell!r}"
    assert any(line.endswith("test_pool") for line in text.splitlines())     # the row's first line keeps its name
    assert "p99 17 ms (budget 1.5 s)" in text


def test_a_row_survives_the_trip_through_junit_properties(make_journal: MakeJournal) -> None:
    journal = make_journal(outcome=Outcome.FAILED, figures={"p99_s": 3.01, "budget_s": 1.5, "requests": 40})
    row = summarise(journal, journal_path="/tmp/out/journals/x.json")
    props = summary_to_properties(row)
    names = [name for name, _ in props]
    assert names[:3] == ["chaos.contract", "chaos.verdict", "chaos.duration_s"]
    assert ("chaos.figure.exit.p99_s", 3.01) in props
    assert ("chaos.figure.exit.budget_s", 1.5) in props
    assert "chaos.figure.exit.requests" not in names          # only key figures and their budgets
    # JUnit XML (and xdist) hand the values back as strings
    back = summary_from_properties(journal.nodeid, journal.experiment, [(n, str(v)) for n, v in props])
    assert back == row
    assert summary_from_properties("a::b", "b", [("other", "x")]) is None


def test_an_aborted_experiment_is_shouted_with_its_reason(make_journal: MakeJournal) -> None:
    reason = "aborted: stop condition error_rate>50%/1s: 9/10 requests (90%) failed"
    journals = [
        make_journal(contract="graceful_drain", name="test_drain"),
        make_journal(outcome=Outcome.ABORTED, contract="db_restart", name="test_restart", detail=reason,
                     duration_s=2.5),
        make_journal(outcome=Outcome.ERROR, contract="readiness", name="test_ready", detail="setup broke: boom"),
    ]
    lines = scorecard_lines([summarise(j) for j in journals])
    assert lines[0][0].startswith("chaos scorecard: 1 passed, 1 aborted, 1 error (3 experiments,")
    rows = {text.split()[0]: (text, outcome) for text, outcome in lines[2:] if not text.startswith(" ")}
    text, outcome = rows["db_restart"]
    assert text.split()[1:4] == ["ABORTED", "2.5", "s"]
    assert outcome is Outcome.ABORTED
    reasons = {t.strip(): o for t, o in lines if t.startswith(" ")}
    assert reasons[f"-> {reason}"] is Outcome.ABORTED
    row = summarise(journals[1])
    back = summary_from_properties(row.nodeid, row.experiment,
                                   [(n, str(v)) for n, v in summary_to_properties(row)])
    assert back == row
    assert ("chaos.verdict", "aborted") in summary_to_properties(row)


def test_requests_not_sent_lead_the_key_figures(make_journal: MakeJournal) -> None:
    """Whatever contract judged the run, the requests the open-model load could not send are counted
    from the timeline and shown first, in the scorecard and across xdist (the JUnit properties)."""
    plain = summarise(make_journal(outcome=Outcome.FAILED, contract="db_restart",
                                   figures={"p99_s": 3.01, "budget_s": 1.5}))
    assert "load.not_sent" not in plain.figures
    journal = make_journal(outcome=Outcome.FAILED, contract="db_restart", figures={"p99_s": 3.01, "budget_s": 1.5})
    assert journal.timeline is not None
    for i in range(12):
        journal.timeline.append(RequestDone(label="api", method="GET", path="/api", start_ns=ns(1.0 + i / 40),
                                            end_ns=ns(1.0 + i / 40), error=NOT_SENT, in_flight=8))
    summary = summarise(journal)
    assert [f.text() for f in summary.key_figures][:2] == ["not sent 12", "p99 3.01 s (budget 1.5 s)"]
    assert "not sent 12, p99 3.01 s (budget 1.5 s)" in render_scorecard([summary])
    back = summary_from_properties(summary.nodeid, summary.experiment, summary_to_properties(summary))
    assert back is not None
    assert back.figures["load.not_sent"] == 12
