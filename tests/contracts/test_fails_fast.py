"""fails_fast: every failure (5xx or transport error) returned within the budget."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import Status, fails_fast


def test_fast_503s_pass() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 3.0, status=503, latency_s=0.2)
    h.req(2.5, 4.0)  # a slow success is not this contract's business
    verdict = fails_fast(h.tl, window=window, budget_s=0.5)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["failures"] == 20


def test_a_slow_failure_and_a_hang_fail_and_are_listed_slowest_first() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.req(1.0, 0.1, 503)
    h.req(1.2, 2.5, 500)
    h.req(1.4, 0.4, error="ReadTimeout")
    verdict = fails_fast(h.tl, window=window, budget_s=1.0)
    assert verdict.status is Status.FAILED
    assert "2 of 3 failures" in verdict.summary
    assert "1 s budget or hung" in verdict.summary
    assert verdict.evidence[0].startswith("+1.400 s GET /api [api] -> ReadTimeout")
    assert verdict.evidence[1] == "+1.200 s GET /api [api] -> 500 in 2.500 s"


def test_no_failures_passes_unless_failures_are_required() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 2.0)
    assert fails_fast(h.tl, window=window, budget_s=1.0).status is Status.PASSED
    assert fails_fast(h.tl, window=window, budget_s=1.0, require_failures=True).status is Status.INCONCLUSIVE


def test_empty_window_is_inconclusive() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    assert fails_fast(h.tl, window=window, budget_s=1.0).status is Status.INCONCLUSIVE



def test_expected_failures_that_never_came_fail() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 3.0, status=200, latency_s=0.2)
    assert fails_fast(h.tl, window=window, budget_s=1.0, expect_failures=True).status is Status.FAILED
    assert fails_fast(h.tl, window=window, budget_s=1.0, require_failures=True).status is Status.INCONCLUSIVE
