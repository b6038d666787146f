"""The HTML report: one self-contained file, an overview scorecard and one timeline per experiment.

No network at view time (no CDN, fonts, scripts or images from elsewhere): the styles are inline,
the plots are inline SVG drawn by `chaos.report.plot`, and the only script is a few lines that
record the laid-out size of the scorecard and plots on the page (what the browser test reads).
A pure function of the journals: the same journals give the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from chaos.contracts import Status, Verdict
from chaos.exits import exited
from chaos.report.figures import allowance_text, format_seconds
from chaos.report.journal import Journal, MarginRule, Outcome, ProcessLog
from chaos.report.judgement import Judgement, judgement_of
from chaos.report.overlay import race_winner
from chaos.report.plot import StatusClass, status_counts, timeline_svg
from chaos.report.scorecard import outcome_counts
from chaos.report.store import nodeid_slug
from chaos.report.summary import summarise
from chaos.report.svg import element, text

__all__ = ["render_html", "write_html"]

_STYLE: Final = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;
margin:0;background:#f5f6f8}
main{max-width:1180px;margin:0 auto;padding:18px 24px 48px}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:0 0 6px}h3{font-size:15px;margin:16px 0 6px}
.meta{color:#4a5468;margin:2px 0}.muted{color:#6b7385}
.totals{margin:10px 0 4px;display:flex;gap:8px;flex-wrap:wrap}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;
text-transform:uppercase;letter-spacing:.03em;color:#fff}
.big{font-size:14px;padding:4px 12px}
.passed{background:#1a9850}.failed{background:#d7301f}.inconclusive{background:#e08a00}
.error{background:#6a3d9a}.skipped{background:#8a93a3}.aborted{background:#1f6f8b}
section.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px 18px;margin:16px 0}
section.experiment{border-left:6px solid #8a93a3}
section.experiment.o-passed{border-left-color:#1a9850}section.experiment.o-failed{border-left-color:#d7301f}
section.experiment.o-inconclusive{border-left-color:#e08a00}section.experiment.o-error{border-left-color:#6a3d9a}
section.experiment.o-aborted{border-left-color:#1f6f8b}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6e8ee;vertical-align:top}
th{background:#f0f2f6;font-weight:600}
td.num{text-align:right;white-space:nowrap}
tr.r-failed td{background:#fdecea}tr.r-inconclusive td{background:#fff4e0}tr.r-error td{background:#f1ebf7}
tr.r-aborted td{background:#e4f0f5}
tr.r-skipped td{color:#6b7385}
a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:underline}
tr.why td{padding-top:0;padding-left:24px;font-size:12px;color:#5a2a22;border-bottom:1px solid #e6e8ee}
tr.r-passed td,tr.r-skipped td{border-bottom:1px solid #e6e8ee}
tr:has(+ tr.why) td{border-bottom:none}
.fig{white-space:nowrap}td a{white-space:nowrap}
.verdict-summary{font-size:15px;margin:8px 0}
pre{background:#f5f6f8;border:1px solid #e3e6ec;padding:8px 10px;border-radius:6px;white-space:pre-wrap;
font-size:12px;margin:4px 0}
svg.timeline{display:block;max-width:100%;height:auto;font-family:inherit;margin:8px 0 2px;background:#fff}
.stats{color:#4a5468;font-size:13px}
.allowance{color:#7a1f1f;font-size:13px;margin:2px 0}td.race-winner{font-family:monospace;font-size:12px}
ul.parts{margin:4px 0;padding-left:20px}ul.parts li{margin:4px 0}
details{margin:6px 0}summary{cursor:pointer;color:#33415c}
"""

# Records what the browser laid out, so a headless browser's --dump-dom shows the page rendered.
_SCRIPT: Final = """
(function () {
  var body = document.body, card = document.getElementById("scorecard"), drawn = 0;
  if (card) {
    var box = card.getBoundingClientRect();
    body.setAttribute("data-scorecard-size", Math.round(box.width) + "x" + Math.round(box.height));
  }
  var plots = document.querySelectorAll("svg.timeline");
  for (var i = 0; i < plots.length; i++) {
    var r = plots[i].getBoundingClientRect();
    plots[i].setAttribute("data-drawn", Math.round(r.width) + "x" + Math.round(r.height));
    if (r.width > 0 && r.height > 0) { drawn++; }
  }
  body.setAttribute("data-timelines-drawn", String(drawn));
})();
"""


def render_html(journals: Sequence[Journal], *, title: str = "Chaos Suite report") -> str:
    """The whole report as one HTML document, experiments grouped by contract (then node id), so the
    order is the same whatever order they ran in or however xdist spread them."""
    journals = sorted(journals, key=lambda j: (j.contract_name, j.nodeid))
    body = [
        _header(journals, title),
        _scorecard(journals),
        *(_experiment(j) for j in journals),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{text(title)}</title><style>{_STYLE}</style></head>"
        f"<body data-experiments=\"{len(journals)}\"><main>{''.join(body)}</main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_html(path: Path, journals: Sequence[Journal]) -> Path:
    """Render and write the report atomically (a reader never sees half a file); returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)   # mkstemp's 0600 would hide the report from the other readers of a CI artifact
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_html(journals))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _distinct(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values)) or "-"


def _header(journals: Sequence[Journal], title: str) -> str:
    summaries = [summarise(j) for j in journals]
    badges = [element("span", f"{n} {o}", class_=f"badge big {o}")
              for o in Outcome if (n := sum(1 for s in summaries if s.outcome is o))]
    if journals:
        start = min(j.started_at for j in journals)
        end = max(j.ended_at for j in journals)
        span = (f"{start.strftime('%Y-%m-%d %H:%M:%S %Z')} to {end.strftime('%H:%M:%S')} "
                f"({format_seconds((end - start).total_seconds())} wall, "
                f"{format_seconds(sum(j.duration_s for j in journals))} in experiments)")
        first = journals[0].provenance
        seeds = _distinct(str(j.seed) if j.seed is not None else "none" for j in journals)
        if len({j.seed for j in journals}) == 1 and journals[0].seed is not None:
            seeds += f" (replay with --chaos-seed {journals[0].seed})"
        meta = [
            f"target <b>{text(_distinct(j.target.name for j in journals))}</b> "
            f"({text(_distinct(j.target.path for j in journals))}) &middot; backend "
            f"<b>{text(_distinct(j.backend for j in journals))}</b> &middot; mode "
            f"<b>{text(_distinct(j.mode for j in journals))}</b> &middot; Toxiproxy "
            f"{text(_distinct(j.toxiproxy_url for j in journals if j.toxiproxy_url))} &middot; seed {text(seeds)}",
            f"{text(span)}",
            f"chaos-suite {text(first.suite_version)} &middot; Python {text(first.python)} &middot; "
            f"pytest {text(first.pytest_version)} &middot; {text(first.platform)} on {text(first.node)}",
        ]
    else:
        meta = ["no experiment journals"]
    return element("header", [
        element("h1", text(title)),
        *(element("p", m, class_="meta") for m in meta),
        element("div", badges, class_="totals", id="totals", data_counts=outcome_counts(summaries)),
    ])


def _scorecard(journals: Sequence[Journal]) -> str:
    head = element("tr", [element("th", h) for h in ("Contract", "Verdict", "Key figures", "Duration", "Experiment")])
    rows = []
    for journal in journals:
        summary = summarise(journal)
        figures = "<br>".join(element("span", text(f.text()), class_="fig") for f in summary.key_figures)
        rows.append(element("tr", [
            element("td", text(summary.contract)),
            element("td", element("span", text(summary.outcome), class_=f"badge {summary.outcome}")),
            element("td", figures or element("span", "-", class_="muted")),
            element("td", text(format_seconds(summary.duration_s)), class_="num"),
            element("td", element("a", text(journal.experiment), href=f"#{nodeid_slug(journal.nodeid)}")),
        ], class_=f"r-{summary.outcome}", title=summary.detail, data_outcome=str(summary.outcome),
           data_contract=summary.contract))
        if summary.outcome not in (Outcome.PASSED, Outcome.SKIPPED) or (
                summary.outcome is Outcome.SKIPPED and summary.detail):
            rows.append(element("tr", element("td", text(_clip(summary.detail, 320)), colspan=5),
                                class_=f"why r-{summary.outcome}"))
    table = element("table", [element("thead", head), element("tbody", rows)], id="scorecard",
                    class_="scorecard")
    return element("section", [element("h2", "Scorecard"), table], class_="card", id="overview")


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _experiment(journal: Journal) -> str:
    outcome = journal.outcome
    parts = [
        element("h2", [element("span", text(outcome), class_=f"badge big {outcome}"), " ", text(journal.experiment)]),
        element("p", f"contract <b>{text(journal.contract_name)}</b> &middot; {text(journal.nodeid)} &middot; "
                     f"{text(format_seconds(journal.duration_s))} &middot; started "
                     f"{text(journal.started_at.strftime('%H:%M:%S'))}", class_="meta"),
        element("p", text(journal.outcome_detail or "-"), class_="verdict-summary"),
    ]
    judged = judgement_of(journal.verdict)
    if journal.timeline is not None:
        parts.append(timeline_svg(journal.timeline, title=f"timeline of {journal.experiment}", judgement=judged,
                                  margin_rule=journal.margin_rule))
        counts = status_counts(journal.timeline)
        probes = len(journal.timeline.probes())
        not_sent = sum(1 for r in journal.timeline.requests() if r.not_sent)
        parts.append(element("p", text(
            f"{sum(counts.values())} requests: {counts[StatusClass.OK]} 2xx, {counts[StatusClass.CLIENT]} 4xx, "
            f"{counts[StatusClass.SERVER]} 5xx, {counts[StatusClass.ERROR] - not_sent} transport errors"
            + (f", {not_sent} not sent (in-flight cap reached)" if not_sent else "")
            + (f", {counts[StatusClass.OTHER]} other" if counts[StatusClass.OTHER] else "")
            + f"; {probes} probe results. Hover a point for the request."), class_="stats"))
    if journal.error:
        what = ("Why it was aborted (the stop condition's evidence, what was healed at once)"
                if outcome is Outcome.ABORTED else "What broke (the test report)")
        parts.append(element("details", [element("summary", text(what)),
                                         element("pre", text(journal.error))], open=True, class_="error-text"))
    if journal.verdict is not None:
        parts.append(_verdict(journal.verdict, journal.margin_rule))
    if judged.races:
        parts.append(_races(journal, judged))
    if journal.faults:
        parts.append(_faults(journal))
    if journal.commands or journal.command_queries:
        parts.append(_commands(journal))
    if journal.steady_states:
        parts.append(element("h3", "Steady state"))
        parts.append(element("table", [
            element("tr", [element("th", h) for h in ("Phase", "Within tolerance", "Detail")]),
            *(element("tr", [element("td", text(s.phase)), element("td", "yes" if s.ok else "<b>no</b>"),
                             element("td", "<br>".join(text(line) for line in s.explanation))])
              for s in journal.steady_states),
        ]))
    if journal.sut_exits:
        parts.append(element("h3", "Service exits"))
        parts.append(element("ul", [
            element("li", text(f"+{e.offset_s:.3f} s: {f'pid {e.pid}' if e.pid else 'the service'} "
                               f"{exited(e.exit_code)}"), class_="exit", data_exit_code=e.exit_code)
            for e in journal.sut_exits]))
    if journal.notes:
        parts.append(element("h3", "Notes"))
        parts.append(element("ul", [element("li", text(n)) for n in journal.notes]))
    for log in journal.logs:
        parts.append(_log(log, journal.outcome))
    if journal.contract is not None and journal.contract.params:
        params = [element("tr", [element("th", text(k)), element("td", text(v))])
                  for k, v in journal.contract.params.items()]
        defects = ", ".join(journal.contract.defects) or "none declared"
        parts.append(element("details", [
            element("summary", text(f"[contracts.{journal.contract.name}] as declared (defects: {defects})")),
            element("table", params),
        ]))
    return element("section", parts, class_=f"card experiment o-{outcome}", id=nodeid_slug(journal.nodeid),
                   data_outcome=str(outcome))


def _log(log: ProcessLog, outcome: Outcome) -> str:
    """One process's log of the experiment, folded (open when the experiment did not pass)."""
    what = f"log of {log.process}: {log.lines} lines during the experiment"
    if log.truncated:
        what += ", the end shown"
    if log.kept_at:
        what += f"; the whole log is kept at {log.kept_at}"
    return element("details", [element("summary", text(what)), element("pre", text(log.text or "(nothing written)"))],
                   open=outcome is not Outcome.PASSED and bool(log.text), class_="process-log",
                   data_process=log.process)


def _verdict(verdict: Verdict, rule: MarginRule | None) -> str:
    items = []
    for part in verdict.parts or (verdict,):
        figures = ", ".join(f"{name} = {value:g}" for name, value in part.figures.items())
        allowed = _allowances(part, rule)
        body = [element("span", text(part.status), class_=f"badge {part.status}"), " ",
                element("b", text(part.contract)), ": ", text(part.summary)]
        if part.evidence:
            body.append(element("pre", text("\n".join(part.evidence))))
        if allowed:
            body.append(element("div", "<br>".join(text(a) for a in allowed), class_="allowance"))
        if figures:
            body.append(element("div", text(figures), class_="muted"))
        if part.error:
            body.append(element("details", [element("summary", "the checker crashed"),
                                            element("pre", text(part.error))], open=True))
        items.append(element("li", body, data_status=str(part.status)))
    open_ = verdict.status is not Status.PASSED
    return element("details", [element("summary", text(f"Verdict: {verdict.status} ({len(items)} checks)")),
                               element("ul", items, class_="parts")], open=open_, class_="verdict")


def _allowances(part: Verdict, rule: MarginRule | None) -> list[str]:
    """ "bounded: declared 1 s, allowed 1.5 s; margin +50 %, at least 0.25 s" for each limit of the part
    that was allowed from a declared one (`declared_s` beside `budget_s`, `declared_<limit>` beside another)."""
    lines = []
    for name, declared in part.figures.items():
        prefix, _, last = name.rpartition(".")
        if not last.startswith("declared_"):
            continue
        limit = "budget_s" if last == "declared_s" else last.removeprefix("declared_")
        allowed = part.figures.get(f"{prefix}.{limit}" if prefix else limit)
        if allowed is not None:
            where = ".".join(n for n in (part.contract, prefix) if n)
            lines.append(f"{where}: {allowance_text(allowed, declared, rule)}")
    return lines


def _races(journal: Journal, judged: Judgement) -> str:
    """Each race's single winner, round by round: the request that won, or how many did."""
    rows = [element("tr", [element("th", h) for h in ("Race", "Verdict", "Winner")])]
    requests = journal.timeline.requests() if journal.timeline is not None else []
    for race in judged.races:
        winner = None if journal.timeline is None else race_winner(journal.timeline, requests, race)
        if winner is not None and journal.timeline is not None:
            shown = (f"[{winner.label}] {journal.timeline.offset_s(winner.start_ns):+.3f} s {winner.method} "
                     f"{winner.path} -> {winner.status} in {winner.latency_s:.3f} s")
        elif race.winners == 1:
            shown = "one winner (its request is in the evidence above)"
        else:
            shown = f"{race.winners} winners (expected exactly one)"
        rows.append(element("tr", [element("td", text(race.check)),
                                   element("td", element("span", text(race.status), class_=f"badge {race.status}")),
                                   element("td", text(shown), class_="race-winner")],
                            data_winners=race.winners))
    return element("div", [element("h3", "Race winners"), element("table", rows, class_="races")])


def _faults(journal: Journal) -> str:
    rows = [element("tr", [element("th", h) for h in
                           ("Fault", "Intent", "Injected", "Healed", "Effects", "Revert", "Verified", "Notes")])]
    for f in journal.faults:
        injected = "-" if f.injected_offset_s is None else f"+{f.injected_offset_s:.3f} s"
        healed = "never" if f.reverted_offset_s is None else f"+{f.reverted_offset_s:.3f} s"
        effects = "<br>".join(text(e) for e in f.effects) or "<b>no effect observed</b>"
        revert = "<br>".join([*(text(s) for s in f.revert_steps),
                              *(f"<b>error:</b> {text(e)}" for e in f.revert_errors)]) or "-"
        verified = ("clean" if f.reverted_cleanly
                    else "<b>left behind:</b> " + text("; ".join(f.leftovers) or "revert incomplete"))
        notes = "<br>".join(text(n) for n in f.notes) or element("span", "-", class_="muted")
        rows.append(element("tr", [element("td", text(f.name)), element("td", text(f.intent)),
                                   element("td", text(injected), class_="num"),
                                   element("td", text(healed), class_="num"),
                                   element("td", effects), element("td", revert), element("td", verified),
                                   element("td", notes, class_="fault-notes")]))
    return element("div", [element("h3", "Faults"), element("table", rows, class_="faults")])


def _commands(journal: Journal) -> str:
    """The commands run on the deployment (attach mode), each with its exit code and duration."""
    rows = [element("tr", [element("th", h) for h in ("At", "What", "Command", "Exit", "Duration", "Output")])]
    for c in journal.commands:
        exit_text = "timed out (killed)" if c.timed_out else ("not run" if c.exit_code is None else str(c.exit_code))
        rows.append(element("tr", [element("td", text(f"+{c.offset_s:.3f} s"), class_="num"),
                                   element("td", text(c.what)), element("td", element("code", text(c.command))),
                                   element("td", text(exit_text), class_="num"),
                                   element("td", text(format_seconds(c.duration_s)), class_="num"),
                                   element("td", element("pre", text(c.output[-400:])) if c.output else "-")],
                            class_="command" if c.exit_code == 0 else "command failed", data_exit_code=c.exit_code))
    queries = [element("li", text(f"{q.component} {q.action}: {q.runs} runs, exit 0, slowest "
                                  f"{format_seconds(q.max_s)} (`{q.command}`)")) for q in journal.command_queries]
    return element("div", [element("h3", "Commands run on the deployment"), element("table", rows, class_="commands"),
                           *([element("p", "Queries that answered (counted):"), element("ul", queries)]
                             if queries else [])])
