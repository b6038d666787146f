"""The fake external API as a real process: answers, faults, control errors and the request log."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from support.upstream_process import UpstreamProcess, start_upstream, stop_upstream

from chaos.errors import UpstreamControlError
from chaos.upstream.control import Behaviour, UpstreamControl
from chaos.waiting import wait_until


def test_default_answer_counts_calls_and_logs_them(upstream: UpstreamProcess,
                                                   control: UpstreamControl) -> None:
    before = time.monotonic_ns()
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        first = client.get("/quote", params={"symbol": "X"})
        second = client.post("/orders/7", json={"qty": 1})
    after = time.monotonic_ns()
    assert first.status_code == 200
    assert first.json() == {"ok": True, "path": "/quote", "n": 1}
    assert second.json() == {"ok": True, "path": "/orders/7", "n": 2}
    logged = control.requests()
    assert [(r.seq, r.method, r.path, r.status) for r in logged] == [
        (1, "GET", "/quote", 200), (2, "POST", "/orders/7", 200)]
    # Same CLOCK_MONOTONIC in both processes: arrivals fall inside our own bracket (exact, no tolerance).
    assert all(before <= r.monotonic_ns <= after for r in logged)
    assert logged[0].monotonic_ns < logged[1].monotonic_ns
    assert control.requests(after_seq=1) == logged[1:]


def test_status_and_retry_after_only_on_non_2xx(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(status=429, retry_after_s=1.0))
    assert control.behaviour() == Behaviour(status=429, retry_after_s=1.0)
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        limited = client.get("/quote")
        control.set(Behaviour(status=200, retry_after_s=1.0))
        fine = client.get("/quote")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["ok"] is False
    assert fine.status_code == 200
    assert "Retry-After" not in fine.headers


def test_fail_first_then_recover_counts_from_when_the_behaviour_was_set(
        upstream: UpstreamProcess, control: UpstreamControl) -> None:
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        client.get("/warmup")
        control.set(Behaviour(fail_first=2, fail_status=500))
        statuses = [client.get("/quote").status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    assert [r.status for r in control.requests()] == [200, 500, 500, 200, 200]


def test_latency_is_added_before_answering(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(latency_ms=300))
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        t0 = time.monotonic()
        response = client.get("/slow")
        elapsed = time.monotonic() - t0
    assert response.status_code == 200
    # Lower bound exact (asyncio.sleep never returns early); upper bound allows 1.2 s of scheduling
    # delay on a busy 2-core machine.
    assert 0.3 <= elapsed < 1.5


def test_reset_connection_closes_without_answer(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(reset_connection=True))
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client, pytest.raises(httpx.TransportError):
        client.get("/quote")
    assert [(r.path, r.status) for r in control.requests()] == [("/quote", None)]


def test_reset_connection_sends_rst(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(reset_connection=True))
    host, port = upstream.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5.0) as sock:
        sock.sendall(b"GET /quote HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_hang_holds_the_call_until_the_behaviour_changes(
        upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(hang=True))
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            with httpx.Client(base_url=upstream.url, timeout=10.0) as client:
                outcome.append(client.get("/quote").status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    wait_until(control.requests, timeout_s=5.0, what="hung call logged")
    time.sleep(0.3)   # held for a while: still no answer
    assert outcome == []
    t0 = time.monotonic()
    control.set(Behaviour())
    thread.join(timeout=5.0)
    assert not thread.is_alive()
    # The release closes the connection promptly (bound generous for a loaded machine).
    assert time.monotonic() - t0 < 2.0
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)   # closed without a response
    assert control.requests()[0].status is None


def test_hung_call_abandoned_by_its_client_is_logged_unanswered(
        upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(hang=True))
    with httpx.Client(base_url=upstream.url, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/quote")
    control.reset()
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        assert client.get("/after").json()["n"] == 1   # reset restarts call numbers


def test_clear_log_keeps_numbering(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        client.get("/a")
        control.clear_log()
        assert control.requests() == []
        assert client.get("/b").json()["n"] == 2
    assert [r.seq for r in control.requests()] == [2]


@pytest.mark.parametrize(("body", "needle"), [
    (b"not json", "body: not valid JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"status": 1000}', "behaviour.status:"),
    (b'{"fail_first": "3"}', "behaviour.fail_first:"),
    (b'{"latencyms": 3}', "behaviour.latencyms: unknown field"),
])
def test_bad_control_bodies_get_400_naming_the_field(upstream: UpstreamProcess, control: UpstreamControl,
                                                      body: bytes, needle: str) -> None:
    response = httpx.put(f"{upstream.url}/__chaos/behaviour", content=body, timeout=5.0)
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert control.behaviour() == Behaviour()   # unchanged


def test_control_errors_raise_upstream_control_error(upstream: UpstreamProcess) -> None:
    with UpstreamControl(upstream.url) as ctl:
        with pytest.raises(UpstreamControlError, match="after_seq"):
            ctl._call("GET", "/log", params={"after_seq": "x"})
        with pytest.raises(UpstreamControlError, match="no such control route"):
            ctl._call("GET", "/nothing")
    with socket.socket() as sock:   # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with UpstreamControl(url, timeout_s=2.0) as ctl, pytest.raises(UpstreamControlError, match="Connect"):
            ctl.reset()


def test_sigterm_exits_zero_even_with_a_hung_call(tmp_path_factory: pytest.TempPathFactory) -> None:
    process = start_upstream(tmp_path_factory.mktemp("upstream-sigterm"))
    try:
        with UpstreamControl(process.url) as ctl:
            ctl.set(Behaviour(hang=True))
            outcome: list[BaseException] = []

            def call() -> None:
                try:
                    httpx.get(f"{process.url}/x", timeout=10.0)
                except httpx.HTTPError as exc:
                    outcome.append(exc)

            thread = threading.Thread(target=call)
            thread.start()
            wait_until(ctl.requests, timeout_s=5.0, what="hung call logged")
        t0 = time.monotonic()
        code = stop_upstream(process.proc)
        # Exit is prompt: hung calls are released before the runner waits (bound generous for load).
        assert time.monotonic() - t0 < 3.0
        assert code == 0
        thread.join(timeout=5.0)
        assert len(outcome) == 1   # the hung call was closed, not answered
    finally:
        stop_upstream(process.proc)
