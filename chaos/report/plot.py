"""The timeline plot of one experiment, as inline SVG: latency over time, faults shaded, heal and exit marked.

What a reader wants from a chaos run at a glance: when the fault started, what latency and errors
did during it, when it healed, when the service recovered or exited. So:

- every request is a point at (start offset, latency), coloured by how it ended: 2xx, 4xx, 5xx,
  other status, or a transport error (a cross);
- each fault window is shaded and labelled with the fault's name; its heal is a dashed line;
- the SUT's exits are solid lines labelled with the exit code; the experiment's marks dotted lines;
- probes (health, ready, alive), upstream calls and gauges are strips under the plot, on the same
  time axis; a legend sits on top. Axes read in seconds from the start of the experiment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from chaos.exits import exit_text
from chaos.observe import (
    FaultEnded,
    Gauge,
    Mark,
    ProbeResult,
    ProcessExited,
    RequestDone,
    Timeline,
    UpstreamCall,
)
from chaos.report._plotframe import (
    AXIS_H,
    LABELS_H,
    LEFT,
    LEGEND_H,
    PLOT_H,
    RIGHT,
    STRIP_GAP,
    STRIP_H,
    WIDTH,
    Frame,
    Strip,
)
from chaos.report.figures import format_seconds
from chaos.report.journal import MarginRule, sut_exits
from chaos.report.judgement import Judgement
from chaos.report.overlay import BUDGET, OVER, budget_layer, offender_layer, race_layer, recovery_layer
from chaos.report.svg import LinearScale, element, nice_ticks, text

__all__ = ["StatusClass", "status_class", "status_counts", "timeline_svg"]

PROBE_ORDER: Final = ("health", "ready", "alive")


class StatusClass(StrEnum):
    """How a request ended, as the plot colours it."""

    OK = "2xx"
    CLIENT = "4xx"
    SERVER = "5xx"
    OTHER = "other"       # 1xx / 3xx
    ERROR = "error"       # no HTTP answer: refused, reset, timed out, cancelled


COLOURS: Final = {
    StatusClass.OK: "#1a9850",
    StatusClass.CLIENT: "#f08c00",
    StatusClass.SERVER: "#d7301f",
    StatusClass.OTHER: "#7f7f7f",
    StatusClass.ERROR: "#6a3d9a",
}
FAULT_FILL: Final = "#dfe6f3"
FAULT_EDGE: Final = "#7b8fb8"
HEAL: Final = "#1f78b4"
EXIT: Final = "#111111"
PROBE_OK: Final = "#a6d96a"
PROBE_BAD: Final = "#d7301f"


def status_class(status: int | None) -> StatusClass:
    if status is None:
        return StatusClass.ERROR
    if 200 <= status < 300:
        return StatusClass.OK
    if 400 <= status < 500:
        return StatusClass.CLIENT
    if 500 <= status < 600:
        return StatusClass.SERVER
    return StatusClass.OTHER


def status_counts(timeline: Timeline) -> Counter[StatusClass]:
    """Requests per status class, for the line under the plot."""
    return Counter(status_class(r.status) for r in timeline.events(RequestDone))


def timeline_svg(timeline: Timeline, *, title: str = "", judgement: Judgement | None = None,
                 margin_rule: MarginRule | None = None) -> str:
    """The plot as one `<svg class="timeline">` element (inline in the report, no external resources).

    With the verdict's `judgement`, its budgets, offenders, recoveries and race winners are drawn
    over the data (`chaos.report.overlay`), the budgets labelled with the `margin_rule`."""
    judged = judgement or Judgement()
    requests = timeline.events(RequestDone)
    probes = timeline.events(ProbeResult)
    calls = timeline.events(UpstreamCall)
    gauges = timeline.events(Gauge)
    end_s = max([timeline.offset_s(timeline.last_ns()), 0.001,
                 *(timeline.offset_s(r.end_ns) for r in requests),
                 *(timeline.offset_s(p.end_ns) for p in probes)])
    x_end, x_ticks = nice_ticks(end_s, count=11)
    # the budgets are part of the picture: a latency far under its line is the point of a passed check
    tallest = max([0.0, *(r.latency_s for r in requests), *(b.allowed_s for b in judged.budgets),
                   *(b.declared_s for b in judged.budgets if b.declared_s is not None)])
    y_end, y_ticks = nice_ticks(tallest * 1.05, count=6)

    strip_names = sorted({p.probe for p in probes},
                         key=lambda n: (PROBE_ORDER.index(n) if n in PROBE_ORDER else len(PROBE_ORDER), n))
    strip_names += ["upstream"] if calls else []
    strip_names += sorted({g.name for g in gauges})
    plot_top = LEGEND_H + LABELS_H
    plot_bottom = plot_top + PLOT_H
    rows = [*strip_names, *(f"recovery {i}" for i in range(len(judged.recoveries)))]
    all_strips = [Strip(name=n, y=plot_bottom + 10 + i * (STRIP_H + STRIP_GAP)) for i, n in enumerate(rows)]
    strips, recovery_strips = all_strips[:len(strip_names)], all_strips[len(strip_names):]
    strips_bottom = (all_strips[-1].y + STRIP_H) if all_strips else plot_bottom
    height = strips_bottom + AXIS_H
    frame = Frame(
        x=LinearScale(0.0, x_end, LEFT, WIDTH - RIGHT), y=LinearScale(0.0, y_end, plot_bottom, plot_top),
        x_ticks=x_ticks, y_ticks=y_ticks, x_end=x_end, top=plot_top, bottom=plot_bottom,
        strips_bottom=strips_bottom, offset_s=timeline.offset_s,
    )
    offenders, offending = offender_layer(timeline, frame, requests, judged.budgets)
    layers = [
        _legend(judged),
        _grid(frame),
        _faults(timeline, frame),
        budget_layer(frame, judged.budgets, margin_rule),
        _points(timeline, requests, frame),
        offenders,
        race_layer(timeline, frame, requests, judged.races),
        _strips(timeline, frame, strips, probes=probes, calls=calls, gauges=gauges),
        recovery_layer(timeline, frame, recovery_strips, judged.recoveries, margin_rule),
        _instants(timeline, frame),
        _axes(frame),
    ]
    counts = status_counts(timeline)
    return element(
        "svg", [element("title", text(title or "timeline")), *layers],
        xmlns="http://www.w3.org/2000/svg", class_="timeline", width=WIDTH, height=round(height),
        viewBox=f"0 0 {WIDTH} {round(height)}", role="img",
        data_requests=len(requests), data_probes=len(probes),
        data_faults=len(timeline.fault_windows()), data_errors=counts[StatusClass.ERROR],
        data_5xx=counts[StatusClass.SERVER], data_budgets=len(judged.budgets), data_offenders=offending,
        data_recoveries=len(judged.recoveries),
    )


def _legend(judged: Judgement) -> str:
    items: list[str] = []
    cursor = LEFT
    for cls, label in ((StatusClass.OK, "2xx"), (StatusClass.CLIENT, "4xx"), (StatusClass.SERVER, "5xx"),
                       (StatusClass.OTHER, "other status"), (StatusClass.ERROR, "transport error")):
        marker = (_cross(cursor + 5, 13, COLOURS[cls]) if cls is StatusClass.ERROR
                  else element("circle", cx=cursor + 5, cy=13, r=4, fill=COLOURS[cls]))
        items.append(marker + element("text", text(label), x=cursor + 13, y=17))
        cursor += 22 + 7 * len(label)
    items.append(element("rect", x=cursor, y=6, width=18, height=14, fill=FAULT_FILL, stroke=FAULT_EDGE))
    items.append(element("text", "fault window", x=cursor + 24, y=17))
    cursor += 120
    items.append(element("line", x1=cursor, y1=4, x2=cursor, y2=22, stroke=HEAL, stroke_width=2,
                         stroke_dasharray="4 3"))
    items.append(element("text", "heal", x=cursor + 6, y=17))
    cursor += 50
    items.append(element("line", x1=cursor, y1=4, x2=cursor, y2=22, stroke=EXIT, stroke_width=2))
    items.append(element("text", "SUT exit", x=cursor + 6, y=17))
    cursor += 80
    items.append(element("rect", x=cursor, y=7, width=12, height=12, fill=PROBE_OK))
    items.append(element("rect", x=cursor + 13, y=7, width=12, height=12, fill=PROBE_BAD))
    items.append(element("text", "probe ok / failed", x=cursor + 31, y=17))
    cursor += 155
    if judged.budgets:
        items.append(element("line", x1=cursor, y1=13, x2=cursor + 18, y2=13, stroke=BUDGET, stroke_width=1.6,
                             stroke_dasharray="7 4"))
        items.append(element("text", "budget", x=cursor + 24, y=17))
        cursor += 78
        items.append(element("circle", cx=cursor + 5, cy=13, r=5.5, fill="none", stroke=OVER, stroke_width=1.6))
        items.append(element("text", "over it", x=cursor + 15, y=17))
    return element("g", items, class_="legend", font_size=12)


def _grid(f: Frame) -> str:
    lines = [element("line", x1=f.x(t), y1=f.top, x2=f.x(t), y2=f.strips_bottom, stroke="#eeeeee")
             for t in f.x_ticks]
    lines += [element("line", x1=LEFT, y1=f.y(t), x2=WIDTH - RIGHT, y2=f.y(t), stroke="#eeeeee") for t in f.y_ticks]
    return element("g", lines, class_="grid")


def _faults(timeline: Timeline, f: Frame) -> str:
    top = f.top
    shapes: list[str] = []
    label_rows: list[float] = []      # right end of the last label in each row
    for window in timeline.fault_windows():
        left = f.xs(window.start_ns)
        right = f.xs(window.end_ns) if window.end_ns is not None else f.x(f.x_end)
        healed = "healed" if window.end_ns is not None else "never healed"
        shapes.append(element(
            "rect", element("title", text(f"fault {window.name}: {healed}")),
            class_="fault", x=left, y=top, width=max(right - left, 2.0), height=f.strips_bottom - top,
            fill=FAULT_FILL, stroke=FAULT_EDGE, stroke_width=0.8, data_fault=window.name,
        ))
        label = f"fault: {window.name}"
        row = next((i for i, end in enumerate(label_rows) if end < left), None)
        if row is None:
            row = len(label_rows)
            label_rows.append(0.0)
        label_rows[row] = left + 7 * len(label) + 8
        shapes.append(element("text", text(label), class_="fault-label", x=left + 3,
                              y=top - LABELS_H + 12 + 13 * (row % 2), font_size=12, fill="#33415c",
                              font_weight="bold"))
    return element("g", shapes, class_="faults")



def _points(timeline: Timeline, requests: Sequence[RequestDone], f: Frame) -> str:
    marks: list[str] = []
    for r in requests:
        cls = status_class(r.status)
        cx, cy = f.xs(r.start_ns), f.y(r.latency_s)
        tip = element("title", text(
            f"{timeline.offset_s(r.start_ns):+.3f} s {r.method} {r.path} [{r.label}] -> {r.outcome_text()}"))
        if cls is StatusClass.ERROR:
            marks.append(element("g", [tip, _cross(cx, cy, COLOURS[cls])], class_=f"pt s{cls}"))
        else:
            marks.append(element("circle", tip, class_=f"pt s{cls}", cx=cx, cy=cy, r=2.6, fill=COLOURS[cls],
                                 fill_opacity=0.8))
    return element("g", marks, class_="points")


def _cross(cx: float, cy: float, colour: str, size: float = 3.5) -> str:
    return element("path", d=f"M{cx - size:.1f},{cy - size:.1f}L{cx + size:.1f},{cy + size:.1f}"
                             f"M{cx - size:.1f},{cy + size:.1f}L{cx + size:.1f},{cy - size:.1f}",
                   stroke=colour, stroke_width=1.8)


def _strips(
    timeline: Timeline, f: Frame, strips: Sequence[Strip], *, probes: Sequence[ProbeResult],
    calls: Sequence[UpstreamCall], gauges: Sequence[Gauge],
) -> str:
    xs = f.xs
    shapes: list[str] = []
    for strip in strips:
        shapes.append(element("text", text(strip.name), x=LEFT - 6, y=strip.y + STRIP_H - 4, text_anchor="end",
                              font_size=11))
        if strip.name == "upstream":
            for c in calls:
                cls = status_class(c.status)
                shapes.append(element("line", element("title", text(
                    f"{timeline.offset_s(c.arrival_ns):+.3f} s upstream {c.method} {c.path} -> {c.status}")),
                    x1=xs(c.arrival_ns), y1=strip.y, x2=xs(c.arrival_ns), y2=strip.y + STRIP_H,
                    stroke=COLOURS[cls], stroke_width=1.5))
            continue
        own = [p for p in probes if p.probe == strip.name]
        if own:
            shapes.extend(_probe_cells(timeline, own, strip, f))
            continue
        for g in gauges:
            if g.name == strip.name:
                gx = xs(g.at_ns)
                shapes.append(element("circle", cx=gx, cy=strip.y + STRIP_H / 2, r=3, fill="#555555"))
                shapes.append(element("text", text(f"{g.value:g}"), x=gx + 5, y=strip.y + STRIP_H - 4,
                                      font_size=11))
    return element("g", shapes, class_="strips")


def _probe_cells(timeline: Timeline, probes: Sequence[ProbeResult], strip: Strip, f: Frame) -> list[str]:
    xs = f.xs
    cells: list[str] = []
    for i, p in enumerate(probes):
        left = xs(p.start_ns)
        nxt = probes[i + 1].start_ns if i + 1 < len(probes) else p.end_ns
        right = max(xs(min(nxt, p.start_ns + 1_000_000_000)), xs(p.end_ns), left + 1.5)
        outcome = p.status if p.status is not None else (p.error or ("ok" if p.ok else "not ok"))
        cells.append(element(
            "rect", element("title", text(f"{timeline.offset_s(p.start_ns):+.3f} s {p.probe} -> {outcome}")),
            class_="probe ok" if p.ok else "probe bad", x=left, y=strip.y, width=right - left, height=STRIP_H,
            fill=PROBE_OK if p.ok else PROBE_BAD,
        ))
    return cells


def _instants(timeline: Timeline, f: Frame) -> str:
    xs, top, bottom = f.xs, f.top, f.strips_bottom
    shapes: list[str] = []
    for heal in timeline.events(FaultEnded):
        hx = xs(heal.at_ns)
        shapes.append(element("line", element("title", text(f"heal of {heal.name}: {heal.detail}")),
                              class_="heal", x1=hx, y1=top, x2=hx, y2=bottom, stroke=HEAL, stroke_width=2,
                              stroke_dasharray="5 3"))
        shapes.append(element("text", "heal", x=hx + 3, y=top + 12, font_size=11, fill=HEAL))
    for mark in timeline.events(Mark):
        mx = xs(mark.at_ns)
        shapes.append(element("line", class_="mark", x1=mx, y1=top, x2=mx, y2=bottom, stroke="#555555",
                              stroke_dasharray="1 3", stroke_width=1.5))
        shapes.append(element("text", text(mark.name), x=mx + 3, y=top + 26, font_size=11, fill="#555555"))
    exits = [(e.offset_s, e.pid, e.exit_code, "sut") for e in sut_exits(timeline)] + [
        (timeline.offset_s(e.at_ns), e.pid, e.exit_code, e.process)
        for e in timeline.events(ProcessExited) if e.process != "sut"]
    label_right = -1.0
    row = 0
    for offset, pid, code, process in sorted(exits):
        ex = f.x(offset)
        row = row + 1 if ex < label_right else 0         # stagger labels that would overlap
        how = exit_text(code)
        label = f"{process}: {how}" if process != "sut" else how
        label_right = ex + 7 * len(label) + 6
        who = f"{process} pid {pid}" if pid else process
        shapes.append(element("line", element("title", text(f"{who}: {how}")),
                              class_="exit", x1=ex, y1=top, x2=ex, y2=bottom, stroke=EXIT, stroke_width=2))
        shapes.append(element("text", text(label), x=ex + 3, y=top + 40 + 13 * row, font_size=11, fill=EXIT,
                              font_weight="bold"))
    return element("g", shapes, class_="instants")


def _axes(f: Frame) -> str:
    x, y, top, bottom, strips_bottom = f.x, f.y, f.top, f.bottom, f.strips_bottom
    parts = [
        element("line", x1=LEFT, y1=top, x2=LEFT, y2=bottom, stroke="#333333"),
        element("line", x1=LEFT, y1=bottom, x2=WIDTH - RIGHT, y2=bottom, stroke="#333333"),
    ]
    for t in f.y_ticks:
        parts.append(element("text", text(format_seconds(t)), x=LEFT - 6, y=y(t) + 4, text_anchor="end",
                             font_size=11))
    for t in f.x_ticks:
        parts.append(element("text", text(f"{t:g} s"), x=x(t), y=strips_bottom + 15, text_anchor="middle",
                             font_size=11))
    parts.append(element("text", "seconds from the start of the experiment", x=(LEFT + WIDTH - RIGHT) / 2,
                         y=strips_bottom + 33, text_anchor="middle", font_size=12))
    mid = (top + bottom) / 2
    parts.append(element("text", "request latency", x=16, y=mid, text_anchor="middle", font_size=12,
                         transform=f"rotate(-90 16 {mid:.1f})"))
    return element("g", parts, class_="axes")
