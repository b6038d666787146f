"""recovers_within: a success within N s of the heal, and from then on."""

from __future__ import annotations

import pytest
from support.answers import OK, answer
from support.histories import History, ns

from chaos.contracts import Status, recovers_within


def test_recovery_in_time_passes_with_the_recovery_figure() -> None:
    h = History()
    h.steady(3.0, 3.5, status=503)
    h.steady(3.5, 6.0)
    verdict = recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["recovery_s"] == pytest.approx(0.51)


def test_late_recovery_fails_with_what_came_before() -> None:
    h = History()
    h.steady(3.0, 5.0, status=503)
    h.steady(5.0, 6.0)
    verdict = recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK)
    assert verdict.status is Status.FAILED
    assert "came 2.010 s after the heal at +3.000 s, over the 1 s bound" in verdict.summary
    assert verdict.evidence[0] == "first success: +5.000 s GET /api [api] -> 200 in 0.010 s"


def test_a_relapse_after_recovery_fails() -> None:
    h = History()
    h.steady(3.0, 6.0)
    h.req(5.05, 0.01, 503)
    verdict = recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK)
    assert verdict.status is Status.FAILED
    assert verdict.figures["failures_after_recovery"] == 1
    assert "relapse: +5.050 s" in verdict.evidence[1]


def test_never_recovering_fails_and_body_conditions_apply() -> None:
    h = History()
    h.steady(3.0, 4.0, seen={"json:source": "db"})
    cache = answer({"status": 200, "json": "source", "equals": "cache"})
    never = recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=cache)
    assert never.status is Status.FAILED
    assert "answered status 200 and json source == 'cache'" in never.summary
    assert never.evidence[-1].endswith("(json source: 'db')")
    h.steady(4.0, 4.5, seen={"json:source": "cache"})
    assert recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.5, answer=cache).status is Status.PASSED


def test_no_requests_after_the_heal_is_inconclusive() -> None:
    h = History()
    h.steady(0.0, 3.0)
    assert recovers_within(h.tl, heal_ns=ns(3.0), within_s=1.0, answer=OK).status is Status.INCONCLUSIVE
