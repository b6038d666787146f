"""ready_flips: /health ok throughout, /ready 503 during the fault (soon), 200 after (soon)."""

from __future__ import annotations

import pytest
from support.answers import NOT_READY, NOT_READY_503
from support.histories import History

from chaos.contracts import Status, ready_flips


def healthy_flip(flip_at: float = 2.3, back_at: float = 4.2) -> History:
    """Fault [2, 4]; readiness 503 from flip_at to back_at; liveness ok all along."""
    h = History()
    h.probes("health", 0.0, 6.0)
    h.probes("ready", 0.0, flip_at)
    h.probes("ready", flip_at, back_at, ok=False, status=503)
    h.probes("ready", back_at, 6.0)
    return h


def test_a_timely_flip_and_recovery_pass() -> None:
    h = healthy_flip()
    fault = h.fault(2.0, 4.0)
    verdict = ready_flips(h.tl, fault=fault, flip_within_s=0.5, recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["flip.flip_s"] == pytest.approx(0.305)
    assert verdict.figures["recovery.recovery_s"] == pytest.approx(0.205)
    assert [p.contract for p in verdict.parts] == ["liveness", "flip", "recovery"]


def test_readiness_that_ignores_the_dependency_fails() -> None:
    h = History()
    h.probes("health", 0.0, 6.0)
    h.probes("ready", 0.0, 6.0)
    fault = h.fault(2.0, 4.0)
    verdict = ready_flips(h.tl, fault=fault, flip_within_s=0.5, recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "flip: 'ready' never answered status 503 during fault 'db_down' [+2.000 s, +4.000 s]" in verdict.summary


def test_slow_flip_slow_recovery_and_liveness_failure_each_fail() -> None:
    slow_flip = healthy_flip(flip_at=3.0)
    verdict = ready_flips(slow_flip.tl, fault=slow_flip.fault(2.0, 4.0), flip_within_s=0.5,
                          recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    slow_back = healthy_flip(back_at=5.5)
    verdict = ready_flips(slow_back.tl, fault=slow_back.fault(2.0, 4.0), flip_within_s=0.5,
                          recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "recovery:" in verdict.summary
    assert "1.505 s after the heal" in verdict.summary
    dead = healthy_flip()
    dead.probe("health", 3.05, False, 503)
    verdict = ready_flips(dead.tl, fault=dead.fault(2.0, 4.0), flip_within_s=0.5, recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert verdict.summary.startswith("liveness:")


def test_flapping_readiness_fails() -> None:
    h = healthy_flip()
    h.probe("ready", 3.05, True, 200)
    verdict = ready_flips(h.tl, fault=h.fault(2.0, 4.0), flip_within_s=0.5, recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "answered ok again 1 times before the heal" in verdict.summary


def test_a_hanging_ready_endpoint_is_never_not_ready() -> None:
    h = History()
    h.probes("health", 0.0, 6.0)
    h.probes("ready", 0.0, 2.0)
    h.probes("ready", 2.0, 4.0, ok=False, status=None, error="ReadTimeout")
    h.probes("ready", 4.0, 6.0)
    fault = h.fault(2.0, 4.0)
    for not_ready in (NOT_READY_503, NOT_READY):   # a timeout is neither a 503 nor a refusal
        verdict = ready_flips(h.tl, fault=fault, flip_within_s=0.5, recover_within_s=0.5, not_ready=not_ready)
        assert verdict.status is Status.FAILED
        assert "flip: 'ready' never answered" in verdict.summary


def test_a_refused_ready_connection_counts_when_the_answer_says_so() -> None:
    """Changed with the answer vocabulary: a refused or reset connection used to be "not an answer";
    it now counts as not ready when the not_ready answer includes it (the default does)."""
    h = History()
    h.probes("health", 0.0, 6.0)
    h.probes("ready", 0.0, 2.2)
    h.probes("ready", 2.2, 3.0, ok=False, status=None, error="ConnectError")
    h.probes("ready", 3.0, 4.1, ok=False, status=None, error="ConnectionResetError")
    h.probes("ready", 4.1, 6.0)
    fault = h.fault(2.0, 4.0)
    verdict = ready_flips(h.tl, fault=fault, flip_within_s=0.5, recover_within_s=0.5, not_ready=NOT_READY)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert "flip: 'ready' answered ConnectError 0.205 s into fault 'db_down'" in verdict.summary
    verdict = ready_flips(h.tl, fault=fault, flip_within_s=0.5, recover_within_s=0.5, not_ready=NOT_READY_503)
    assert verdict.status is Status.FAILED
    assert "flip: 'ready' never answered status 503 during" in verdict.summary


def test_no_probes_is_inconclusive() -> None:
    h = History()
    verdict = ready_flips(h.tl, fault=h.fault(2.0, 4.0), flip_within_s=0.5, recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.INCONCLUSIVE
    unhealed = History()
    verdict = ready_flips(unhealed.tl, fault=unhealed.fault(2.0, None), flip_within_s=0.5,
                          recover_within_s=0.5,
                          not_ready=NOT_READY_503)
    assert verdict.status is Status.INCONCLUSIVE
