"""Prober against a real server and a real child process: rates, kinds of failure, exit, bounds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from support.answers import answer
from support.http_server import ObservedServer

from chaos.observe import CallableProbe, HttpProbe, Prober, ProcessExited, ProcessProbe, Timeline


def test_http_probes_at_a_steady_rate(server: ObservedServer, timeline: Timeline) -> None:
    probes = [HttpProbe(name="health", url=f"{server.url}/ok"),
              HttpProbe(name="ready", url=f"{server.url}/status/503")]
    with Prober(timeline, probes, interval_s=0.05, max_duration_s=0.5) as prober:
        prober.wait(timeout_s=5)
    health, ready = timeline.probes("health"), timeline.probes("ready")
    # 10 slots in 0.5 s; missed slots are skipped under load, so accept 6..10
    assert 6 <= len(health) <= 10
    assert 6 <= len(ready) <= 10
    assert all(p.ok and p.status == 200 for p in health)
    assert all(not p.ok and p.status == 503 for p in ready)
    # each probe is a new connection, like a kubelet's
    assert len({a.peer_port for a in server.arrivals_for("/ok")}) == len(health)


def test_a_hanging_probe_neither_delays_the_others_nor_blocks_stop(
    server: ObservedServer, timeline: Timeline
) -> None:
    probes = [HttpProbe(name="stuck", url=f"{server.url}/hang"),
              HttpProbe(name="health", url=f"{server.url}/ok")]
    prober = Prober(timeline, probes, interval_s=0.05, max_duration_s=30, timeout_s=10).start()
    time.sleep(0.5)  # let it run: the probes are what we observe, not a synchronisation
    started = time.monotonic()
    prober.stop(timeout_s=5)
    assert time.monotonic() - started < 1.5  # the 10 s probe timeout is cancelled, not waited for
    assert not prober.running
    # ~10 in 0.5 s (3 on a starved machine); had "stuck" held them up there would be at most 1
    assert len(timeline.probes("health")) >= 3
    assert timeline.probes("stuck") == []  # cut short by stop: not recorded


def test_failure_kinds_timeout_and_refused(
    server: ObservedServer, refused_url: str, timeline: Timeline
) -> None:
    probes = [HttpProbe(name="slow", url=f"{server.url}/hang"),
              HttpProbe(name="gone", url=f"{refused_url}/ok")]
    with Prober(timeline, probes, interval_s=0.1, max_duration_s=0.35, timeout_s=0.2) as prober:
        prober.wait(timeout_s=5)
    assert {p.error for p in timeline.probes("slow")} == {"ReadTimeout"}
    assert {p.error for p in timeline.probes("gone")} == {"ConnectError"}
    assert not any(p.ok for p in timeline.probes())


def test_callable_probe_records_false_and_exceptions(timeline: Timeline) -> None:
    answers = iter([True, False])

    def check() -> bool:
        try:
            return next(answers)
        except StopIteration:
            raise ConnectionRefusedError("down") from None

    with Prober(timeline, [CallableProbe(name="db", check=check)], interval_s=0.02,
                max_duration_s=0.1) as prober:
        prober.wait(timeout_s=5)
    results = timeline.probes("db")
    assert [p.ok for p in results[:3]] == [True, False, False]
    assert results[2].error == "ConnectionRefusedError"


def test_process_probe_records_one_exit_with_its_code(timeline: Timeline) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(3)"],
                             start_new_session=True)
    try:
        probe = ProcessProbe(name="alive", pid=child.pid, exit_code=child.poll)
        with Prober(timeline, [probe], interval_s=0.05, max_duration_s=10) as prober:
            prober.wait(timeout_s=10)  # ends early: the only probe stops once the process is gone
        exited = timeline.events(ProcessExited)
        assert [(e.pid, e.exit_code, e.process) for e in exited] == [(child.pid, 3, "sut")]
        alive = timeline.probes("alive")
        assert alive[0].ok
        assert not alive[-1].ok
        assert alive[-1].start_ns <= exited[0].at_ns
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(5)


def test_bad_configuration_is_refused(timeline: Timeline) -> None:
    probe = CallableProbe(name="x", check=lambda: True)
    with pytest.raises(ValueError, match="probes is empty"):
        Prober(timeline, [], interval_s=1, max_duration_s=1)
    with pytest.raises(ValueError, match="probe names must be unique"):
        Prober(timeline, [probe, probe], interval_s=1, max_duration_s=1)
    with pytest.raises(ValueError, match="interval_s must be > 0"):
        Prober(timeline, [probe], interval_s=0, max_duration_s=1)


def test_http_probes_judge_by_their_answer_and_keep_what_it_reads(
    server: ObservedServer, timeline: Timeline
) -> None:
    not_ready = answer([503, "refused"])
    flag = answer({"json": "degraded", "equals": False})
    probes = [HttpProbe(name="down", url=f"{server.url}/status/503", answer=not_ready),
              HttpProbe(name="flag", url=f"{server.url}/ok", answer=flag, headers={"X-Probe": "1"}),
              HttpProbe(name="any2xx", url=f"{server.url}/ok")]
    with Prober(timeline, probes, interval_s=0.05, max_duration_s=0.2) as prober:
        prober.wait(timeout_s=5)
    assert timeline.probes("down")
    assert all(p.ok and p.status == 503 and p.seen is None for p in timeline.probes("down"))
    assert timeline.probes("flag")
    assert all(p.ok and dict(p.seen or {}) == {"json:degraded": False} for p in timeline.probes("flag"))
    assert all(p.ok for p in timeline.probes("any2xx"))   # the default: any 2xx
