"""stays_within: a sampled gauge (the SUT's DB connections) never exceeds its limit."""

from __future__ import annotations

from support.histories import History

from chaos.contracts import Status, stays_within


def test_within_and_over_the_limit() -> None:
    h = History()
    for i, value in enumerate([2, 3, 5, 5, 4]):
        h.gauge("db_connections", i * 0.5, value)
    assert stays_within(h.tl, gauge="db_connections", max_value=5, window=(0, None)).status is Status.PASSED
    h.gauge("db_connections", 3.0, 9)
    verdict = stays_within(h.tl, gauge="db_connections", max_value=5, window=(0, None))
    assert verdict.status is Status.FAILED
    assert verdict.evidence == ("+3.000 s db_connections = 9",)
    assert verdict.figures["max_seen"] == 9


def test_no_samples_is_inconclusive() -> None:
    h = History()
    h.gauge("other", 1.0, 1)
    assert stays_within(h.tl, gauge="db_connections", max_value=5, window=(0, None)).status \
        is Status.INCONCLUSIVE
