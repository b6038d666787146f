"""Stop conditions as pure checks on hand-built histories, the target's [guards] table, and the
monitor on a live timeline with a real HTTP probe."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.envs import write_target
from support.histories import History, ns

from chaos.errors import TargetFileError
from chaos.experiment.guards import ErrorRateAbove, ProbeFailing, Trip, guards_from_target, readiness_down
from chaos.experiment.monitor import GuardMonitor
from chaos.observe import Timeline
from chaos.targetfile import load_target
from chaos.waiting import wait_until

SERVICE = 'command = ["true"]\nurl = "http://127.0.0.1:{port}"\nhealth = "/"\nready = "/ready"\n'


def test_error_rate_trips_only_above_the_rate_over_the_whole_window() -> None:
    h = History()
    h.steady(0.0, 3.0)                          # 30 good requests
    h.steady(3.0, 5.0, status=503)              # then 20 failing ones
    guard = ErrorRateAbove(above=0.5, for_s=2.0)
    assert guard.check(h.tl, ns(1.5)) is None   # not watched for 2 s yet
    assert guard.check(h.tl, ns(4.0)) is None   # 10 of 20 failed: 50%, not above
    trip = guard.check(h.tl, ns(5.0))
    assert trip is not None
    assert trip.summary.startswith("20/20 requests (100%) failed between t+3.00 s and t+5.00 s")
    assert trip.evidence[0] == "GET /api -> 503 at t+3.01 s"


def test_transport_errors_count_and_4xx_do_not() -> None:
    h = History()
    h.steady(0.0, 2.0, status=404)
    assert ErrorRateAbove(above=0.1, for_s=2.0).check(h.tl, ns(2.0)) is None
    h.steady(2.0, 4.0, error="ReadTimeout")
    trip = ErrorRateAbove(above=0.5, for_s=1.0).check(h.tl, ns(4.0))
    assert trip is not None
    assert "-> ReadTimeout" in trip.evidence[0]


def test_too_few_requests_never_trip() -> None:
    h = History()
    h.req(0.0)
    for t in (2.0, 2.1, 2.2):
        h.req(t, status=500)
    assert ErrorRateAbove(above=0.5, for_s=1.0).check(h.tl, ns(2.5)) is None


def test_probe_failing_longer_than_the_limit() -> None:
    h = History()
    h.probes("guard:ready", 0.0, 1.0)
    h.probes("guard:ready", 1.0, 4.0, ok=False, status=503)
    guard = readiness_down(longer_than_s=2.0, url="http://127.0.0.1:1/ready")
    assert guard.check(h.tl, ns(2.9)) is None  # down for 1.9 s
    trip = guard.check(h.tl, ns(3.2))
    assert trip is not None
    assert trip.summary.startswith("probe guard:ready failing since t+1.00 s")
    h.probe("guard:ready", 4.0, True, 200)    # back: the run of failures is over
    assert guard.check(h.tl, ns(4.1)) is None


def test_target_guards_table(tmp_path: Path) -> None:
    path = write_target(tmp_path, SERVICE, deps='''
[guards.error_rate]
above = 0.5
for_s = 5
[guards.readiness]
down_longer_than_s = 30
[guards.probes.payments]
url = "http://127.0.0.1:8081/health"
failing_for_s = 3
''')
    guards = guards_from_target(load_target(path).guards, ready_url="http://127.0.0.1:9/ready")
    assert guards == [
        ErrorRateAbove(above=0.5, for_s=5.0),
        ProbeFailing(probe="guard:ready", for_s=30.0, url="http://127.0.0.1:9/ready"),
        ProbeFailing(probe="guard:payments", for_s=3.0, url="http://127.0.0.1:8081/health"),
    ]
    assert not load_target(write_target(tmp_path, SERVICE)).guards


def test_bad_guards_are_reported_with_their_keys(tmp_path: Path) -> None:
    path = write_target(tmp_path, SERVICE, deps='''
[guards.error_rate]
above = 1.5
[guards.readines]
down_longer_than_s = 3
[guards.probes.x]
url = "ftp://nowhere"
failing_for_s = "3s"
''')
    with pytest.raises(TargetFileError) as info:
        load_target(path)
    problems = info.value.problems
    assert "[guards.error_rate].above: expected a fraction 0 <= above < 1 (a number), got 1.5" in problems
    assert "[guards.error_rate].for_s: missing (required: seconds > 0)" in problems
    assert "[guards].readines: unknown guard; did you mean 'readiness'?" in problems
    assert "[guards.probes.x].url: expected http(s)://host:port, got 'ftp://nowhere'" in problems
    assert "[guards.probes.x].failing_for_s: expected seconds > 0 (a finite number), got '3s'" in problems


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port bound but not listening: every probe is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/health"
    finally:
        sock.close()


def test_monitor_probes_a_url_and_trips_once(refused_url: str) -> None:
    timeline = Timeline()
    trips: list[Trip] = []
    tripped = threading.Event()

    def on_trip(trip: Trip) -> None:
        trips.append(trip)
        tripped.set()

    monitor = GuardMonitor(timeline, [ProbeFailing(probe="guard:down", for_s=0.6, url=refused_url)],
                           on_trip=on_trip).start()
    try:
        # probes every 0.5 s; the trip needs > 0.6 s of failures: 3 s allows a loaded machine
        assert tripped.wait(3.0)
        wait_until(lambda: not monitor._thread.is_alive(), timeout_s=2, what="monitor thread ends after a trip")
    finally:
        monitor.stop()
    assert len(trips) == 1
    assert trips[0].guard == "guard:down_failing>0.6s"
    assert "ConnectError" in trips[0].evidence[0]
