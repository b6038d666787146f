"""bounded: max / pXX latency within a budget; timeouts are over budget."""

from __future__ import annotations

import pytest
from support.histories import History

from chaos.contracts import Status, bounded


def test_max_within_budget_passes_and_reports_figures() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    for i in range(10):
        h.req(1.0 + i * 0.1, 0.1 + i * 0.01)
    verdict = bounded(h.tl, window=window, budget_s=0.5)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["max_s"] == pytest.approx(0.19)
    assert verdict.figures["p50_s"] == pytest.approx(0.14)
    assert verdict.figures["requests"] == 10


def test_one_slow_request_fails_max_but_not_p90() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    for i in range(9):
        h.req(1.0 + i * 0.1, 0.05)
    h.req(1.95, 1.2)
    failed = bounded(h.tl, window=window, budget_s=1.0)
    assert failed.status is Status.FAILED
    assert "max latency is 1.200 s, over the 1 s budget: 1 of 10 requests" in failed.summary
    assert failed.evidence == ("+1.950 s GET /api [api] -> 200 in 1.200 s",)
    p90 = bounded(h.tl, window=window, budget_s=1.0, percentile=90)
    assert p90.status is Status.PASSED
    assert p90.evidence  # the slow one is still shown


def test_a_timeout_is_over_budget_whatever_its_measured_time() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.req(1.0, 0.05)
    h.req(1.1, 0.3, error="ReadTimeout")  # client timeout shorter than the budget: still a hang
    verdict = bounded(h.tl, window=window, budget_s=1.0)
    assert verdict.status is Status.FAILED
    assert "a timeout (ReadTimeout)" in verdict.summary
    assert verdict.figures["timeouts"] == 1


def test_cancelled_requests_count_only_when_already_over_budget() -> None:
    h = History()
    h.req(0.0, 0.05)
    h.req(0.1, 0.2, error="Cancelled")
    assert bounded(h.tl, window=(0, None), budget_s=1.0).status is Status.PASSED
    h.req(0.2, 1.5, error="Cancelled")
    assert bounded(h.tl, window=(0, None), budget_s=1.0).status is Status.FAILED


def test_empty_window_is_inconclusive() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.req(5.0, 3.0)
    assert bounded(h.tl, window=window, budget_s=1.0).status is Status.INCONCLUSIVE
