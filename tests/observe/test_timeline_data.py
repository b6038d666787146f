"""The one JSON form of a timeline, and loading it back (checkers re-run on stored histories)."""

from __future__ import annotations

import json

import pytest

from chaos.observe import (
    EVENT_TYPES,
    NOT_SENT,
    SCHEMA_VERSION,
    FaultEnded,
    FaultStarted,
    Gauge,
    Mark,
    ProbeResult,
    ProcessExited,
    RequestDone,
    RequestSkipped,
    Timeline,
    UpstreamCall,
    timeline_from_data,
    timeline_to_data,
)

S = 1_000_000_000


def every_kind_of_event() -> Timeline:
    tl = Timeline(anchor_ns=S, anchor_wall_s=1_700_000_000.5)
    tl.append(RequestDone(label="list", method="GET", path="/api?page=1", start_ns=2 * S, end_ns=3 * S,
                          status=200, seen={"json:degraded": True, "json:n": 3, "json:why": None,
                                                      "header:x-cache": "HIT"}))
    tl.append(RequestDone(label="list", method="GET", path="/api", start_ns=2 * S, end_ns=4 * S,
                          error="ReadTimeout", sent_ns=2 * S + 300))   # open model: sent 300 ns late
    tl.append(RequestSkipped(label="list", at_ns=2 * S))
    tl.append(FaultStarted(name="db", at_ns=2 * S, detail="proxy disabled"))
    tl.append(FaultEnded(name="db", at_ns=5 * S))
    tl.append(ProbeResult(probe="ready", ok=False, start_ns=3 * S, end_ns=3 * S + 10, status=503,
                          seen={"json:status": "starting"}))
    tl.append(ProbeResult(probe="alive", ok=True, start_ns=3 * S, end_ns=3 * S + 1))
    tl.append(ProcessExited(pid=42, exit_code=-9, at_ns=6 * S))
    tl.append(Mark(name="sigterm sent", at_ns=5 * S))
    tl.append(UpstreamCall(seq=1, method="GET", path="/quote", arrival_ns=3 * S, status=None))
    tl.append(Gauge(name="db_connections", value=4, at_ns=4 * S))
    tl.append(RequestDone(label="list", method="GET", path="/api", start_ns=2 * S, end_ns=2 * S,
                          error=NOT_SENT, in_flight=12))
    return tl


def test_round_trip_through_json_keeps_every_event() -> None:
    tl = every_kind_of_event()
    data = timeline_to_data(tl)
    text = json.dumps(data)  # JSON-compatible, no custom encoder
    back = timeline_from_data(json.loads(text))
    assert back.events() == tl.events()
    assert (back.anchor_ns, back.anchor_wall_s) == (tl.anchor_ns, tl.anchor_wall_s)
    assert {type(e).__name__ for e in back.events()} == set(EVENT_TYPES)
    answered = next(r for r in back.events(RequestDone) if r.status == 200)
    assert answered.seen == {"json:degraded": True, "json:n": 3, "json:why": None, "header:x-cache": "HIT"}
    timed_out = next(r for r in back.requests() if r.error == "ReadTimeout")
    assert timed_out.seen is None
    assert timed_out.late_s == 300e-9
    assert back.events(ProbeResult)[0].seen == {"json:status": "starting"}
    unsent = next(r for r in back.requests() if r.not_sent)
    assert (unsent.in_flight, unsent.outcome_text()) == (12, "not sent: 12 in flight")


def test_version_1_data_is_refused_with_its_version() -> None:
    """Version 1 (bodies as fields, no sent_ns or in_flight) cannot be read as version 2: one line says so."""
    data = timeline_to_data(every_kind_of_event())
    events: list[dict[str, object]] = data["events"]  # type: ignore[assignment]
    old = [{k: v for k, v in e.items() if k not in {"sent_ns", "in_flight", "seen"}}
           for e in events if e.get("error") != NOT_SENT]
    with pytest.raises(ValueError, match=r"^timeline data: schema_version 1 is not supported \(expected one of 2\)$"):
        timeline_from_data({**data, "schema_version": 1, "events": old})


def test_the_form_is_versioned_tagged_and_carries_offsets() -> None:
    data = timeline_to_data(every_kind_of_event())
    assert data["schema_version"] == SCHEMA_VERSION
    assert SCHEMA_VERSION == 2   # version 2: RequestDone.body became seen, ProbeResult.seen, UpstreamCall.upstream,
    #                              RequestDone.sent_ns and in_flight (the open-model load)
    first = data["events"][0]  # type: ignore[index]
    assert first["type"] == "RequestSkipped"
    assert first["offset_s"] == 1.0


def test_loading_errors_name_the_event_and_field() -> None:
    data = timeline_to_data(every_kind_of_event())
    with pytest.raises(ValueError, match="schema_version 99 is not supported"):
        timeline_from_data({**data, "schema_version": 99})
    events = list(data["events"])  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=r"events\[0\].type 'Nope' is unknown"):
        timeline_from_data({**data, "events": [{"type": "Nope"}]})
    with pytest.raises(ValueError, match=r"events\[1\] \(RequestSkipped\) has unknown fields \['colour'\]"):
        timeline_from_data({**data, "events": [events[1], {**events[0], "colour": "red"}]})
    bad = next(e for e in events if e["type"] == "RequestDone" and e["status"] == 200)
    with pytest.raises(ValueError, match=r"events\[0\] \(RequestDone\): .*exactly one of status and error"):
        timeline_from_data({**data, "events": [{**bad, "error": "X"}]})
    with pytest.raises(ValueError, match=r"in_flight is set exactly when error is 'NotSent'"):
        timeline_from_data({**data, "events": [{**bad, "in_flight": 3}]})
    unsent = next(e for e in events if e.get("error") == NOT_SENT)
    with pytest.raises(ValueError, match=r"a request not sent has in_flight >= 0, no sent_ns and end_ns == start_ns"):
        timeline_from_data({**data, "events": [{**unsent, "end_ns": unsent["end_ns"] + 1}]})
