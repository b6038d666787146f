"""The terminal scorecard, key figures and the JUnit-property form of a row, from hand-built journals."""

from __future__ import annotations

from collections.abc import Callable

from support.histories import ns

from chaos.observe import NOT_SENT, RequestDone
from chaos.report import (
    Journal,
    Outcome,
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
    assert "recovery 19.1 ms (budget 7.5 s)" in rows["cache_fallback"]
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
        "p99 17 ms (budget 1.5 s)", "recovery 400 ms (budget 5 s)", "upstream calls 8 (max 16)"]
    assert key_figures({"survives.probes": 70}) == ()
    assert [f.text() for f in key_figures({"drains.exit.drain_s": 2.23, "drains.exit.grace_s": 10})] == [
        "drain 2.23 s (budget 10 s)"]


def test_format_seconds_reads_like_a_person_would_say_it() -> None:
    assert [format_seconds(s) for s in (0, 0.0004, 0.0191, 0.5, 2.23, 75, 200)] == [
        "0 s", "400 us", "19.1 ms", "500 ms", "2.23 s", "75 s", "3 min 20 s"]


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
