"""The judgement on the page: budget lines with the requests over them ringed, "declared X, allowed Y
(margin rule)", labelled recoveries, each race's winner, exits by signal name, and the fault row of an
aborted run. Verdicts come from the real checkers over hand-built histories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from support.answers import HEALTHY, OK, answer
from support.histories import History, ns
from support.html_page import Page

from chaos.contracts import Status, Verdict, bounded, combine, exactly_one_winner, fails_fast, recovers_within
from chaos.observe import FaultEnded, ProcessExited, Window
from chaos.report import FaultRecord, Journal, MarginRule, Outcome, journal_to_data, render_html, scorecard, summarise
from chaos.report.judgement import judgement_of

MakeJournal = Callable[..., Journal]
RULE = MarginRule(relative=0.5, floor_s=0.25)
WON, LOST = answer(201), answer(409)          # the booking race: one 201, the others 409


def _outage() -> tuple[History, Window]:
    """Fast answers throughout; in the fault [1, 3] s a slow 200, a fast and a slow 503, a timeout;
    before it one slow 200 that no window-bound budget judges."""
    h = History()
    h.steady(0.0, 4.0, every_s=0.1)
    window = h.fault(1.0, 3.0)
    h.req(0.55, latency_s=1.9)                             # over 1.5 s, before the window
    h.req(1.5, latency_s=2.0)                              # over 1.5 s
    h.req(1.6, latency_s=0.5, status=503)                  # a fast failure
    h.req(1.7, latency_s=1.8, status=503)                  # a slow failure
    h.req(1.8, latency_s=5.0, error="ReadTimeout")         # over whatever its time
    return h, window


def _with(verdict: Verdict, **figures: float) -> Verdict:
    """The checker's verdict with the figures a newer checker adds (declared budget, window)."""
    return Verdict(contract=verdict.contract, status=verdict.status, summary=verdict.summary,
                   evidence=verdict.evidence, figures={**verdict.figures, **figures})


def test_budget_lines_ring_the_requests_over_them(make_journal: MakeJournal) -> None:
    h, window = _outage()
    judged = bounded(h.tl, window=window, budget_s=1.5)
    assert judged.status is Status.FAILED
    verdict = combine([_with(judged, declared_s=1.0)])
    page = Page(render_html([make_journal(outcome=Outcome.FAILED, verdict=verdict, history=h, margin_rule=RULE)]))
    [svg] = page.find("svg", "timeline")
    assert svg.attrs["data-budgets"] == "1"
    [line] = page.find("line", "budget")
    assert (line.attrs["data-check"], line.attrs["data-allowed-s"]) == ("bounded", "1.5")
    assert len(page.find("line", "declared")) == 1        # the declared budget, dotted under the allowed one
    assert "bounded: declared 1 s, allowed 1.5 s; margin +50 %, at least 0.25 s" in page.texts()
    # without the window in the verdict the line spans the plot: the slow 200 before the fault is over it too
    assert svg.attrs["data-offenders"] == "4" == str(len(page.find("circle", "offender")))
    # the verdict part says it too, and the key figure in the scorecard
    [allowance] = page.find("div", "allowance")
    assert "".join(allowance.text) == "bounded: declared 1 s, allowed 1.5 s; margin +50 %, at least 0.25 s"
    assert any(t.startswith("max latency") or "declared 1 s, allowed 1.5 s" in t for t in page.texts())


def test_a_budget_judges_only_its_window_and_fails_fast_only_failures(make_journal: MakeJournal) -> None:
    h, window = _outage()
    start, end = (h.tl.offset_s(window.start_ns), h.tl.offset_s(window.end_ns or 0))
    verdict = combine([
        _with(bounded(h.tl, window=window, budget_s=1.5), window_start_s=start, window_end_s=end),
        fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY),
    ])
    page = Page(render_html([make_journal(outcome=Outcome.FAILED, verdict=verdict, history=h)]))
    [svg] = page.find("svg", "timeline")
    assert svg.attrs["data-budgets"] == "2"
    assert not page.find("line", "declared")               # no declared budget: the budget as it is
    texts = page.texts()
    assert "bounded: budget 1.5 s" in texts
    assert "fails_fast (failures): budget 1 s" in texts
    # bounded in its window: the slow 200, the slow 503, the timeout; fails_fast: the slow 503 and the
    # timeout; the fast 503 and the slow 200 before the fault are nobody's offenders
    rings = page.find("circle", "offender")
    assert len(rings) == 3 == int(svg.attrs["data-offenders"])
    tips = sorted("".join(n.text) for n in page.nodes if n.tag == "title" and "budget of" in "".join(n.text))
    assert [t.split(" ")[0] for t in tips] == ["+1.500", "+1.700", "+1.800"]
    assert "over the 1.5 s budget of bounded; over the 1 s budget of fails_fast" in tips[1]


def test_a_plot_without_a_verdict_or_budget_draws_none(make_journal: MakeJournal) -> None:
    page = Page(render_html([make_journal(outcome=Outcome.SKIPPED)]))
    [svg] = page.find("svg", "timeline")
    assert (svg.attrs["data-budgets"], svg.attrs["data-offenders"], svg.attrs["data-recoveries"]) == ("0", "0", "0")
    assert not page.find("line", "budget")
    assert "budget" not in page.texts()                    # nor in the legend


def test_recoveries_say_what_recovered_from_when_and_the_bound(make_journal: MakeJournal) -> None:
    h = History()
    h.steady(0.0, 1.0)
    window = h.fault(1.0, 2.0)
    h.steady(2.0, 2.4, status=503)
    h.steady(2.4, 4.0)
    assert window.end_ns is not None
    quick = recovers_within(h.tl, heal_ns=window.end_ns, within_s=5.0, answer=OK)
    slow = recovers_within(h.tl, heal_ns=window.end_ns, within_s=0.2, answer=OK, contract="cache used again")
    assert (quick.status, slow.status) == (Status.PASSED, Status.FAILED)
    verdict = combine([quick, _with(slow, heal_offset_s=1.9)])
    page = Page(render_html([make_journal(outcome=Outcome.FAILED, verdict=verdict, history=h)]))
    bars = page.find("rect", "recovery")
    assert [(b.attrs["data-check"], b.attrs["data-recovery-s"]) for b in bars] == [
        ("recovers_within", "0.41"), ("cache used again", "0.41")]
    assert [b.attrs["fill"] for b in bars] == ["#1a9850", "#d7301f"]   # within its bound, over it
    assert [float(t.attrs["width"]) > float(b.attrs["width"]) for t, b in
            zip(page.find("rect", "recovery-bound"), bars, strict=True)] == [True, False]  # within the bound or over
    labels = ["".join(n.text) for n in page.find("text", "recovery-label")]
    assert labels == [
        "requests recovered 410 ms after the heal at +2.000 s (bound 5 s) [recovers_within]",
        # the check's own instant wins over the last heal on the timeline
        "cache used again 410 ms after the heal at +1.900 s (bound 200 ms) [cache used again] [failed]",
    ]
    # the key figure of the scorecard says it too
    summary = summarise(make_journal(outcome=Outcome.FAILED, verdict=verdict, history=h))
    assert [f.text() for f in summary.key_figures][:2] == [
        "cache used again 410 ms after the heal (bound 200 ms)",
        "requests recovered 410 ms after the heal (bound 5 s)"]


def _race(*rounds: tuple[int, ...]) -> tuple[History, Verdict]:
    """One burst per round (statuses in order), 0.3 s apart, and the verdict of every round."""
    h = History()
    for i, statuses in enumerate(rounds):
        for j, status in enumerate(statuses):
            h.req(0.3 * i + j * 1e-3, latency_s=0.1 + 0.01 * j, status=status, label=f"booking round {i + 1}")
    parts = [exactly_one_winner(h.tl, label=f"booking round {i + 1}", won=WON, lost=LOST) for i in range(len(rounds))]
    return h, combine(parts)


def test_each_rounds_single_winner_is_shown(make_journal: MakeJournal) -> None:
    h, verdict = _race((409, 201, 409), (201, 409, 409), (201, 201, 409), (409, 409, 201))
    assert verdict.status is Status.FAILED
    journal = make_journal(outcome=Outcome.FAILED, verdict=verdict, history=h, contract="booking_race")
    page = Page(render_html([journal]))
    assert len(page.find("table", "races")) == 1
    cells = ["".join(n.text) for n in page.find("td", "race-winner")]
    assert cells == [
        "[booking round 1] +0.001 s GET /booking round 1 -> 201 in 0.110 s",
        "[booking round 2] +0.300 s GET /booking round 2 -> 201 in 0.100 s",
        "2 winners (expected exactly one)",
        "[booking round 4] +0.902 s GET /booking round 4 -> 201 in 0.120 s",
    ]
    assert [n.attrs["data-winners"] for n in page.find("tr") if "data-winners" in n.attrs] == ["1", "1", "2", "1"]
    assert [r.check for r in judgement_of(verdict).races] == [
        "exactly_one_winner", "exactly_one_winner#2", "exactly_one_winner#3", "exactly_one_winner#4"]
    assert len(page.find("circle", "winner")) == 3         # ringed on the plot, where there was one
    # the evidence names each round's winner, both of the failed round's among them
    evidence = [line for t in page.texts() for line in t.splitlines() if line.startswith("winner: ")]
    assert len(evidence) == 5
    # the scorecard counts the winners of every round, not the last round's alone
    assert "winners per race 1, 1, 2, 1" in scorecard([journal])
    passed_h, passed = _race((201, 409), (409, 201))
    assert "winners 1 in each of 2 races" in scorecard([make_journal(verdict=passed, history=passed_h)])


def test_exits_read_as_signal_names_with_one_pid(make_journal: MakeJournal) -> None:
    h = History()
    h.steady(0.0, 3.0)
    h.tl.append(ProcessExited(pid=4100, exit_code=-9, at_ns=ns(1.0)))   # the experiment's stamp
    h.tl.append(ProcessExited(pid=4100, exit_code=-9, at_ns=ns(2.6)))   # the probe's, late on a busy machine
    h.tl.append(ProcessExited(pid=4188, exit_code=0, at_ns=ns(2.8)))
    journal = make_journal(history=h)
    assert [(e.pid, e.exit_code) for e in journal.sut_exits] == [(4100, -9), (4188, 0)]
    data: dict[str, Any] = journal_to_data(journal)
    assert data["sut_exits"][0]["exit_code"] == -9          # the data keeps the number
    page = Page(render_html([journal]))
    items = ["".join(n.text) for n in page.find("li", "exit")]
    assert items == ["+1.000 s: pid 4100 was killed by SIGKILL", "+2.800 s: pid 4188 exited with code 0"]
    assert len(page.find("line", "exit")) == 2
    texts = page.texts()
    assert "killed by SIGKILL" in texts     # the plot's labels
    assert "exit code 0" in texts
    assert not any("-9" in t or "unknown" in t or "pid 0" in t for t in texts)


def test_an_aborted_faults_row_keeps_its_effects_and_revert(make_journal: MakeJournal) -> None:
    h = History()
    h.steady(0.0, 3.0)
    h.tl.append(FaultEnded(name="signal(sut, SIGSTOP)", at_ns=ns(1.9), detail="SIGCONT the SUT"))
    healed = FaultRecord(
        name="signal(sut, SIGSTOP)", intent="send SIGSTOP to the SUT", injected_offset_s=0.5, reverted_offset_s=1.9,
        effects=("SIGSTOP delivered to SUT pid 4100",), hits=1, pid_before=4100, signal="SIGSTOP",
        revert_steps=("SIGCONT the SUT",),
        notes=("healed at once: the experiment was aborted by stop condition error_rate>50%/1s",))
    page = Page(render_html([make_journal(outcome=Outcome.ABORTED, history=h, faults=(healed,))]))
    assert len(page.find("table", "faults")) == 1
    texts = page.texts()
    for shown in ("SIGSTOP delivered to SUT pid 4100", "SIGCONT the SUT", "+1.900 s", "clean",
                  "healed at once: the experiment was aborted by stop condition error_rate>50%/1s"):
        assert shown in texts, shown
