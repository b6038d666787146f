"""Checkers are pure: the same verdicts from the live timeline and from its stored JSON form."""

from __future__ import annotations

import json

from support.answers import HEALTHY, answer
from support.histories import History, ns

from chaos.contracts import bounded, errors_only_within, fails_fast, recovers_within, verdict_to_data
from chaos.observe import Timeline, timeline_from_data, timeline_to_data

CACHED = answer({"all": [{"json": "source", "equals": "cache"}, {"header": "X-Cache"}]})


def checks(tl: Timeline) -> list[dict[str, object]]:
    fault = tl.fault_window("db_down")
    return [verdict_to_data(v) for v in (
        bounded(tl, window=fault, budget_s=0.5, percentile=99),
        fails_fast(tl, window=fault, budget_s=0.5, healthy=HEALTHY),
        errors_only_within(tl, fault=fault, grace_s=0.5, healthy=HEALTHY),
        recovers_within(tl, heal_ns=ns(3.0), within_s=1.0, answer=HEALTHY),
        recovers_within(tl, heal_ns=ns(3.0), within_s=1.0, answer=CACHED, sustained=False),
    )]


def test_verdicts_are_the_same_on_a_reloaded_history() -> None:
    h = History()
    h.steady(0.0, 1.0)
    h.steady(1.0, 3.0, status=503, latency_s=0.2)
    h.req(2.0, 0.9, 500)
    h.steady(3.0, 3.5, seen={"json:source": "db", "json:n": None})
    h.steady(3.5, 4.0, seen={"json:source": "cache", "header:x-cache": "HIT", "json:n": 1})
    h.fault(1.0, 3.0)
    stored = json.loads(json.dumps(timeline_to_data(h.tl)))
    assert checks(timeline_from_data(stored)) == checks(h.tl)
    assert checks(h.tl) == checks(h.tl)  # and calling twice changes nothing
    assert [v["status"] for v in checks(h.tl)][-1] == "passed"   # the captured values were judged
    reloaded = timeline_from_data(stored).requests()
    assert [dict(r.seen or {}) for r in reloaded] == [dict(r.seen or {}) for r in h.tl.requests()]
