"""survives: no exit and every process-alive probe ok in the window."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import Status, survives


def test_passes_when_alive_probes_are_ok_and_nothing_exited() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.probes("alive", 0.0, 5.0)
    verdict = survives(h.tl, window=window)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["probes"] == 21  # 1.0 .. 3.0 inclusive, every 0.1 s


def test_fails_on_an_exit_in_the_window_and_quotes_code_and_offset() -> None:
    h = History()
    window = h.fault(1.0, 3.0)
    h.probes("alive", 0.0, 2.0)
    h.exit(2.05, 3)
    h.probe("alive", 2.1, False)
    verdict = survives(h.tl, window=window)
    assert verdict.status is Status.FAILED
    assert "exited with code 3 at +2.050 s" in verdict.summary
    assert "fault 'db_down' [+1.000 s, +3.000 s]" in verdict.summary
    assert verdict.figures["exits"] == 1


def test_fails_on_a_failed_probe_even_without_an_exit_event() -> None:
    h = History()
    h.probes("alive", 0.0, 1.0)
    h.probe("alive", 1.5, False)
    verdict = survives(h.tl, window=(0, None))
    assert verdict.status is Status.FAILED
    assert any("+1.500 s probe alive" in line for line in verdict.evidence)


def test_an_exit_outside_the_window_does_not_count() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    h.probes("alive", 1.0, 2.0)
    h.exit(5.0, 1)
    assert survives(h.tl, window=window).status is Status.PASSED


def test_inconclusive_without_probes() -> None:
    h = History()
    window = h.fault(1.0, 2.0)
    assert survives(h.tl, window=window).status is Status.INCONCLUSIVE
