"""The HTML report's structure: scorecard rows, one plot per experiment with what happened, nothing fetched."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from chaos.observe import ProbeResult, RequestDone
from chaos.report import Journal, Outcome, render_html, write_html
from chaos.report.store import nodeid_slug

MakeJournal = Callable[..., Journal]


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Page(HTMLParser):
    """Every element with its attributes, and the text directly inside it."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.nodes: list[Node] = []
        self._open: list[Node] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.nodes.append(node)
        if tag not in {"meta", "br", "circle", "line", "rect", "path"}:
            self._open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.nodes.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].text.append(data)

    def find(self, tag: str, cls: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.nodes if n.tag == tag and (cls is None or cls in n.classes)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def texts(self) -> list[str]:
        return ["".join(n.text).strip() for n in self.nodes if "".join(n.text).strip()]


def _journals(make_journal: MakeJournal) -> list[Journal]:
    return [
        make_journal(outcome=Outcome.FAILED, contract="graceful_drain", name="test_drain"),
        make_journal(contract="db_restart", name="test_restart", figures={"p99_s": 0.5, "budget_s": 1.5}),
        make_journal(outcome=Outcome.SKIPPED, contract="booking_race", name="test_race", with_timeline=False,
                     detail="target declares no [contracts.booking_race]"),
    ]


def test_scorecard_has_a_row_per_experiment_linking_to_its_section(make_journal: MakeJournal) -> None:
    journals = _journals(make_journal)
    page = Page(render_html(journals))
    [_table] = page.find("table", id="scorecard")
    rows = [n for n in page.nodes if n.tag == "tr" and "data-outcome" in n.attrs]
    assert [(r.attrs["data-contract"], r.attrs["data-outcome"]) for r in rows] == [
        ("booking_race", "skipped"), ("db_restart", "passed"), ("graceful_drain", "failed")]   # by contract
    links = [a.attrs["href"] for a in page.find("a")]
    sections = page.find("section", "experiment")
    assert links == [f"#{s.attrs['id']}" for s in sections]
    assert {s.attrs["id"] for s in sections} == {nodeid_slug(j.nodeid) for j in journals}
    assert "p99 500 ms (budget 1.5 s)" in page.texts()
    assert page.find("div", id="totals")[0].attrs["data-counts"] == "1 passed, 1 failed, 1 skipped"
    reasons = list(page.find("tr", "why"))
    assert len(reasons) == 2    # the failure's reason and the skip's; nothing under the pass


def test_each_timeline_shows_requests_faults_heal_exit_and_probes(make_journal: MakeJournal) -> None:
    journal = make_journal(outcome=Outcome.FAILED)
    assert journal.timeline is not None
    page = Page(render_html([journal]))
    [svg] = page.find("svg", "timeline")
    requests = journal.timeline.events(RequestDone)
    statuses = Counter("error" if r.status is None else f"{r.status // 100}xx" for r in requests)
    assert svg.attrs["data-requests"] == str(len(requests))
    assert len(page.find("circle", "s2xx")) == statuses["2xx"]
    assert len(page.find("circle", "s5xx")) == statuses["5xx"] == 1
    assert len(page.find("circle", "s4xx")) == statuses["4xx"] == 1
    assert len(page.find("g", "serror")) == statuses["error"] > 0
    [fault] = page.find("rect", "fault")
    assert fault.attrs["data-fault"] == "signal(sut, SIGTERM)"
    assert len(page.find("line", "heal")) == 1
    assert len(page.find("line", "exit")) == 1            # one exit, stamped twice
    assert len(page.find("line", "mark")) == 2            # sigterm, db back
    assert len(page.find("rect", "probe")) == len(journal.timeline.events(ProbeResult))
    assert len(page.find("rect", "bad")) == 20            # the 'ready' probes during the drain
    texts = page.texts()
    for expected in ("2xx", "4xx", "5xx", "transport error", "fault window", "heal", "SUT exit",
                     "fault: signal(sut, SIGTERM)", "exit 0", "sigterm", "health", "ready", "alive",
                     "upstream", "db_connections", "seconds from the start of the experiment",
                     "request latency", "0 s", "3 s"):
        assert expected in texts, expected
    # the verdict is open with its evidence when it did not pass; the fault's receipt is in a table
    [verdict] = page.find("details", "verdict")
    assert "open" in verdict.attrs
    assert "+3.000 s sut exited 0" in texts
    assert "SIGTERM delivered to SUT pid 4100" in texts


def test_the_page_fetches_nothing_and_escapes_what_it_shows(make_journal: MakeJournal, tmp_path: Path) -> None:
    hostile = make_journal(name="test_<script>alert(1)</script>", detail="<img src=x onerror=alert(1)>")
    markup = render_html([hostile, make_journal(outcome=Outcome.ERROR)])
    page = Page(markup)
    assert not page.find("img")
    assert not page.find("link")
    assert not page.find("iframe")
    assert [n for n in page.nodes if "src" in n.attrs] == []
    assert all(n.attrs["href"].startswith("#") for n in page.find("a"))
    assert len(page.find("script")) == 1
    assert "alert(1)" not in "".join(page.find("script")[0].text)
    assert re.findall(r"https?://[^\"' ]+", markup) == ["http://www.w3.org/2000/svg"] * 2   # the SVG namespace
    assert "url(" not in markup
    assert "@import" not in markup
    assert "Traceback (most recent call last):\nRuntimeError: boom" in page.texts()
    # a pure function of the journals: same input, same bytes
    assert render_html([hostile]) == render_html([hostile])
    path = write_html(tmp_path / "out" / "index.html", [hostile])
    assert path.read_text() == render_html([hostile])
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_an_empty_report_still_renders() -> None:
    page = Page(render_html([]))
    assert page.find("table", id="scorecard")
    assert not page.find("svg")
    assert "no experiment journals" in page.texts()


def test_an_aborted_experiment_has_its_badge_row_and_evidence(make_journal: MakeJournal) -> None:
    reason = "aborted: stop condition error_rate>50%/1s: 9/10 requests (90%) failed"
    journals = [make_journal(outcome=Outcome.ABORTED, contract="db_restart", name="test_restart", detail=reason,
                             seed=4242),
                make_journal(contract="graceful_drain", name="test_drain", seed=4242)]
    markup = render_html(journals)
    for style in (".aborted{background:", "tr.r-aborted td{", ".o-aborted{"):
        assert style in markup
    page = Page(markup)
    [row] = [n for n in page.find("tr", "r-aborted") if n.attrs.get("data-outcome") == "aborted"]
    assert row.attrs["data-contract"] == "db_restart"
    assert row.attrs["title"] == reason
    # the totals, the scorecard row, the experiment's heading
    assert [n.attrs["class"] for n in page.find("span", "aborted")] == [
        "badge big aborted", "badge aborted", "badge big aborted"]
    assert len(page.find("tr", "why")) == 1                # the abort's reason under its row
    [section] = page.find("section", "o-aborted")
    assert section.attrs["data-outcome"] == "aborted"
    assert page.find("div", id="totals")[0].attrs["data-counts"] == "1 passed, 1 aborted"
    texts = page.texts()
    assert reason in texts
    assert "Why it was aborted (the stop condition's evidence, what was healed at once)" in texts
    assert any("healed at once: signal(sut, SIGTERM)" in t for t in texts)
    assert any("seed 4242 (replay with --chaos-seed 4242)" in t for t in texts)


def test_the_faults_table_shows_the_receipt_notes(make_journal: MakeJournal) -> None:
    noted = make_journal(fault_notes=("leased: the proxy heals it itself if this run dies", "lease lapsed"))
    page = Page(render_html([noted]))
    assert "Notes" in page.texts()
    [cell] = page.find("td", "fault-notes")
    assert "".join(cell.text).strip() == "leased: the proxy heals it itself if this run dieslease lapsed"
    assert '<td class="fault-notes"><span class="muted">-</span></td>' in render_html([make_journal()])
