"""Every checker says INCONCLUSIVE, never PASSED, when the history holds nothing to judge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.answers import HEALTHY, NOT_READY, OK, answer
from support.histories import History, ns

from chaos.contracts import (
    Status,
    Verdict,
    all_answer,
    all_succeed,
    bounded,
    calls_bounded,
    calls_spaced,
    drains,
    errors_only_within,
    exactly_one_winner,
    fails_fast,
    falls_back,
    ready_flips,
    recovers_within,
    retries_back_off,
    stays_within,
    survives,
)
from chaos.observe import Timeline, Window

CHECKS: dict[str, Callable[[Timeline, Window], Verdict]] = {
    "survives": lambda tl, w: survives(tl, window=w),
    "all_answer": lambda tl, w: all_answer(tl, window=w, answer=answer(429)),
    "all_succeed": lambda tl, w: all_succeed(tl, window=w, answer=OK),
    "falls_back": lambda tl, w: falls_back(tl, window=w, answer=answer({"json": "degraded", "equals": True})),
    "bounded": lambda tl, w: bounded(tl, window=w, budget_s=1.0),
    "fails_fast": lambda tl, w: fails_fast(tl, window=w, budget_s=1.0, healthy=HEALTHY),
    "errors_only_within": lambda tl, w: errors_only_within(tl, fault=w, grace_s=0.5, healthy=HEALTHY),
    "recovers_within": lambda tl, w: recovers_within(tl, heal_ns=ns(2.0), within_s=1.0, answer=OK),
    "ready_flips": lambda tl, w: ready_flips(tl, fault=w, flip_within_s=0.5, recover_within_s=0.5,
                                             not_ready=NOT_READY),
    "drains": lambda tl, w: drains(tl, sigterm_ns=w.start_ns, grace_s=5, in_flight_label="slow",
                                   new_label="new", healthy=OK, not_ready=NOT_READY),
    "exactly_one_winner": lambda tl, w: exactly_one_winner(tl, label="book", won=answer(201), lost=answer(409)),
    "calls_bounded": lambda tl, w: calls_bounded(tl, window=w, max_calls=3),
    "calls_spaced": lambda tl, w: calls_spaced(tl, window=w, min_gap_s=1.0, max_leading_calls=3),
    "retries_back_off": lambda tl, w: retries_back_off(tl, label="quote", max_attempts=3),
    "stays_within": lambda tl, w: stays_within(tl, gauge="db_connections", max_value=5, window=w),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_an_empty_history_is_never_a_pass(name: str) -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    verdict = CHECKS[name](h.tl, window)
    assert verdict.status is Status.INCONCLUSIVE, verdict.explain()
    assert verdict.summary
