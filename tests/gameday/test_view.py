"""The game day's live view, computed from hand-built histories."""

from __future__ import annotations

from support.histories import History, ns

from chaos.gameday import LiveStats


def test_view_over_the_last_five_seconds() -> None:
    h = History()
    h.steady(0.0, 10.0, every_s=0.1, latency_s=0.004)     # 100 fast requests, 50 of them end in the window
    h.steady(8.0, 10.0, every_s=0.2, latency_s=0.3, status=503)  # 10 slow failures; the last ends after now
    h.probe("gameday:ready", 9.5, False, 503)
    h.fault(6.0, None, name="latency(postgres)")
    stats = LiveStats.of(h.tl, now_ns=ns(10.0), faults=["latency(postgres)"])
    assert stats.requests == 59
    assert stats.rate_per_s == 59 / 5
    assert stats.error_rate == 9 / 59
    assert stats.p50_ms == 4.0
    assert round(stats.p99_ms or 0) == 300
    assert stats.ready is False
    assert stats.since_inject_s == 4.0
    assert stats.render() == ("t+4.0 s | 11.8 req/s | errors 15% | p50 4 ms p99 300 ms | ready NO | "
                              "faults: latency(postgres)")


def test_view_before_anything_happened() -> None:
    stats = LiveStats.of(History().tl, now_ns=ns(1.0), faults=[])
    assert stats.render() == "no fault | 0.0 req/s | errors - | p50 - p99 - | ready ? | faults: none"
