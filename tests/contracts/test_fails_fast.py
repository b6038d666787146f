"""fails_fast: every failure (an answer that is not healthy, or a transport error) returned within the budget."""

from __future__ import annotations

from support.answers import HEALTHY, answer
from support.histories import History

from chaos.contracts import Status, fails_fast


def test_fast_503s_pass() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 3.0, status=503, latency_s=0.2)
    h.req(2.5, 4.0)  # a slow success is not this contract's business
    verdict = fails_fast(h.tl, window=window, budget_s=0.5, healthy=HEALTHY)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["failures"] == 20


def test_a_slow_failure_and_a_hang_fail_and_are_listed_slowest_first() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.req(1.0, 0.1, 503)
    h.req(1.2, 2.5, 500)
    h.req(1.4, 0.4, error="ReadTimeout")
    verdict = fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY)
    assert verdict.status is Status.FAILED
    assert "2 of 3 failures" in verdict.summary
    assert "1 s budget or hung" in verdict.summary
    assert verdict.evidence[0].startswith("+1.400 s GET /api [api] -> ReadTimeout")
    assert verdict.evidence[1] == "+1.200 s GET /api [api] -> 500 in 2.500 s"


def test_no_failures_passes_unless_failures_are_required() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 2.0)
    assert fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY).status is Status.PASSED
    required = fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY, require_failures=True)
    assert required.status is Status.INCONCLUSIVE


def test_empty_window_is_inconclusive() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    assert fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY).status is Status.INCONCLUSIVE


def test_expected_failures_that_never_came_fail() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.steady(1.0, 3.0, status=200, latency_s=0.2)
    expected = fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY, expect_failures=True)
    assert expected.status is Status.FAILED
    required = fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY, require_failures=True)
    assert required.status is Status.INCONCLUSIVE


def test_the_healthy_answer_decides_what_a_failure_is() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.req(1.0, 0.1, 200)
    h.req(1.2, 2.5, 404)   # slow, and not healthy by default: a slow failure
    failed = fails_fast(h.tl, window=window, budget_s=1.0, healthy=HEALTHY)
    assert failed.status is Status.FAILED
    assert failed.evidence == ("+1.200 s GET /api [api] -> 404 in 2.500 s",)
    passed = fails_fast(h.tl, window=window, budget_s=1.0, healthy=answer(["2xx", 404]))
    assert passed.status is Status.PASSED, passed.explain()
    assert passed.figures["failures"] == 0


def test_a_declared_budget_is_named_beside_its_margin() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.req(1.2, 2.5, 500)
    verdict = fails_fast(h.tl, window=window, budget_s=1.5, healthy=HEALTHY, declared_s=1.0)
    assert verdict.status is Status.FAILED
    assert "took longer than the 1.5 s budget (declared 1 s + margin) or hung" in verdict.summary
    assert verdict.figures["declared_s"] == 1.0
