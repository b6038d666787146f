"""Stubs served by the real fake-external-API process: answers, faults on top, reset, 400s, the log."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.upstream_process import ROOT, UpstreamProcess, start_upstream, stop_upstream

from chaos.errors import UpstreamControlError
from chaos.upstream.control import Behaviour, Stub, UpstreamControl
from chaos.waiting import wait_until

RATES = Stub(path="/v1/rates", method="GET", json=[{"currency": "EUR", "rate": 1.1}],
             headers={"X-Api-Version": "3"})
ONE_RATE = Stub(path="/v1/rates/*", json={"currency": "any"})
ANYTHING_UNDER_API = Stub(path="/api/**", status=202, text="accepted", delay_ms=0)
STUBS = [RATES, ONE_RATE, ANYTHING_UNDER_API]


def call(upstream: UpstreamProcess, method: str, path: str, **kwargs: object) -> httpx.Response:
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]


def test_each_stub_answers_its_route_and_the_log_names_it(upstream: UpstreamProcess,
                                                          control: UpstreamControl) -> None:
    control.set_stubs(STUBS)
    assert control.stubs() == STUBS
    rates = call(upstream, "GET", "/v1/rates", params={"since": "2024-01-01"})
    assert (rates.status_code, rates.json()) == (200, [{"currency": "EUR", "rate": 1.1}])
    assert rates.headers["Content-Type"] == "application/json"
    assert rates.headers["X-Api-Version"] == "3"
    one = call(upstream, "GET", "/v1/rates/USD")
    assert one.json() == {"currency": "any"}
    posted = call(upstream, "POST", "/api/orders/7/lines", json={"qty": 1})
    assert (posted.status_code, posted.text, posted.headers["Content-Type"]) == (
        202, "accepted", "text/plain; charset=utf-8")
    missing = call(upstream, "POST", "/v1/rates")   # the path has a stub, but for GET only
    assert (missing.status_code, missing.json()["error"]) == (404, "no stub for POST /v1/rates")
    assert [(r.method, r.path, r.query, r.status, r.stub) for r in control.requests()] == [
        ("GET", "/v1/rates", "since=2024-01-01", 200, 0),
        ("GET", "/v1/rates/USD", "", 200, 1),
        ("POST", "/api/orders/7/lines", "", 202, 2),
        ("POST", "/v1/rates", "", 404, None),
    ]


def test_first_declared_stub_wins_over_the_wire(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set_stubs([ONE_RATE, Stub(path="/v1/rates/EUR", json={"currency": "EUR"})])
    assert call(upstream, "GET", "/v1/rates/EUR").json() == {"currency": "any"}
    control.set_stubs([Stub(path="/v1/rates/EUR", json={"currency": "EUR"}), ONE_RATE])
    assert call(upstream, "GET", "/v1/rates/EUR").json() == {"currency": "EUR"}
    assert [r.stub for r in control.requests()] == [0, 0]


def test_a_stub_without_a_body(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set_stubs([Stub(path="/items/*", method="DELETE", status=204)])
    response = call(upstream, "DELETE", "/items/3")
    assert (response.status_code, response.content) == (204, b"")
    assert "Content-Type" not in response.headers


def test_latency_adds_to_the_stubs_delay(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set_stubs([Stub(path="/slow", json={"ok": 1}, delay_ms=300)])
    t0 = time.monotonic()
    assert call(upstream, "GET", "/slow").json() == {"ok": 1}
    delay_only = time.monotonic() - t0
    control.set(Behaviour(latency_ms=300))
    t0 = time.monotonic()
    assert call(upstream, "GET", "/slow").json() == {"ok": 1}
    both = time.monotonic() - t0
    # Lower bounds exact (asyncio.sleep never returns early): 0.6 s proves the two add up, as either
    # alone is 0.3 s. Upper bounds allow 1.2 s of scheduling delay on a busy 2-core machine.
    assert 0.3 <= delay_only < 1.5
    assert 0.6 <= both < 1.8


@pytest.mark.parametrize("status", [503, 429])
def test_a_failure_status_replaces_the_stubs_answer(upstream: UpstreamProcess, control: UpstreamControl,
                                                    status: int) -> None:
    control.set_stubs([RATES])
    control.set(Behaviour(status=status, retry_after_s=2.0))
    response = call(upstream, "GET", "/v1/rates")
    assert response.status_code == status
    assert response.json() == {"error": f"injected by chaos: {status}", "status": status}
    assert response.headers["Retry-After"] == "2"
    assert "X-Api-Version" not in response.headers   # nothing of the stub's answer
    assert [(r.status, r.stub) for r in control.requests()] == [(status, None)]


def test_fail_every_interleaves_stub_answers_and_failures(upstream: UpstreamProcess,
                                                          control: UpstreamControl) -> None:
    control.set_stubs([RATES])
    control.set(Behaviour(fail_every=2, fail_every_status=502))
    answers = [call(upstream, "GET", "/v1/rates") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 502, 200, 502]
    assert answers[0].json() == answers[2].json() == RATES.json
    assert answers[1].json()["error"] == "injected by chaos: 502"
    assert [r.stub for r in control.requests()] == [0, None, 0, None]


def test_the_stubs_own_non_2xx_status_gets_no_retry_after(upstream: UpstreamProcess,
                                                          control: UpstreamControl) -> None:
    """Retry-After belongs to injected failures; a stub answers exactly as declared."""
    control.set_stubs([Stub(path="/gone", status=410, json={"error": "gone"})])
    control.set(Behaviour(retry_after_s=1.0))
    response = call(upstream, "GET", "/gone")
    assert (response.status_code, response.json()) == (410, {"error": "gone"})
    assert "Retry-After" not in response.headers


def test_reset_connection_on_top_of_a_stub(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set_stubs([RATES])
    control.set(Behaviour(reset_connection=True))
    with pytest.raises(httpx.TransportError):
        call(upstream, "GET", "/v1/rates")
    assert [(r.status, r.stub) for r in control.requests()] == [(None, None)]


def test_hang_on_top_of_a_stub(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set_stubs([RATES])
    control.set(Behaviour(hang=True))
    outcome: list[BaseException | int] = []

    def hung_call() -> None:
        try:
            outcome.append(call(upstream, "GET", "/v1/rates").status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=hung_call)
    thread.start()
    wait_until(control.requests, timeout_s=5.0, what="hung call logged")
    time.sleep(0.3)   # held for a while: still no answer, not even the stub's
    assert outcome == []
    control.set(Behaviour())
    thread.join(timeout=5.0)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.RemoteProtocolError)
    assert call(upstream, "GET", "/v1/rates").json() == RATES.json   # the stub answers again


def test_reset_keeps_the_stubs_and_clearing_restores_the_default(upstream: UpstreamProcess,
                                                                 control: UpstreamControl) -> None:
    control.set_stubs([RATES])
    control.set(Behaviour(status=500))
    control.reset()
    assert control.behaviour() == Behaviour()
    assert control.stubs() == [RATES]
    assert call(upstream, "GET", "/v1/rates").json() == RATES.json
    assert [r.seq for r in control.requests()] == [1]   # the log and numbering were reset
    control.clear_stubs()
    assert control.stubs() == []
    assert call(upstream, "GET", "/v1/rates").json() == {"ok": True, "path": "/v1/rates", "n": 2}


def test_without_stubs_failures_keep_the_default_body(upstream: UpstreamProcess,
                                                      control: UpstreamControl) -> None:
    control.set(Behaviour(fail_first=1, fail_status=503))
    failed = call(upstream, "GET", "/q", params={"a": "1"})
    assert (failed.status_code, failed.json()) == (503, {"ok": False, "path": "/q", "n": 1})
    assert call(upstream, "GET", "/q").json() == {"ok": True, "path": "/q", "n": 2}
    assert [(r.query, r.stub) for r in control.requests()] == [("a=1", None), ("", None)]


@pytest.mark.parametrize(("body", "message"), [
    ({"stubs": [{"path": "/a"}, {"path": "/b", "status": 700}]},
     "stubs[1].status: expected an HTTP status 200..599, got 700"),
    ({"stubs": [{"path": "/a", "jsn": {}}]}, "stubs[0].jsn: unknown field (did you mean json?)"),
    ({"stubs": [{"path": "/a", "method": "FETCH"}]}, "stubs[0].method: expected one of"),
    ({"stubs": [{"path": "/a", "headers": {"Content-Type": "x"}}]}, "stubs[0].headers: Content-Type goes in"),
    ({"stub": []}, 'stubs: expected a JSON object {"stubs": '),
    ([], 'stubs: expected a JSON object {"stubs": '),
])
def test_a_bad_stub_is_400_naming_the_field_and_changes_nothing(
        upstream: UpstreamProcess, control: UpstreamControl, body: object, message: str) -> None:
    control.set_stubs([RATES])
    response = httpx.put(upstream.url + "/__chaos/stubs", json=body, timeout=5.0)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert control.stubs() == [RATES]


def test_control_errors_name_the_route_and_the_field(upstream: UpstreamProcess,
                                                     control: UpstreamControl) -> None:
    with pytest.raises(UpstreamControlError,
                       match=r"PUT /__chaos/stubs answered 400: stubs\[0\]\.path: expected a path"):
        control._call("PUT", "/stubs", json={"stubs": [{"path": "v1"}]})
    response = httpx.put(upstream.url + "/__chaos/stubs", content=b"{not json", timeout=5.0)
    assert (response.status_code, response.json()["error"][:20]) == (400, "body: not valid JSON")
    assert control.stubs() == []


def test_a_control_body_past_the_limit_is_413(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    too_big = b'{"stubs": [], "pad": "' + b"a" * (32 << 20) + b'"}'
    response = httpx.put(upstream.url + "/__chaos/stubs", content=too_big, timeout=30.0)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_stubs_file_serves_from_the_first_call(tmp_path: Path) -> None:
    stubs_file = tmp_path / "stubs.json"
    stubs_file.write_text(json.dumps({"stubs": [RATES.to_wire()]}))
    process = start_upstream(tmp_path, "--stubs", str(stubs_file))
    try:
        assert call(process, "GET", "/v1/rates").json() == RATES.json
        with UpstreamControl(process.url) as ctl:
            assert ctl.stubs() == [RATES]
    finally:
        stop_upstream(process.proc)


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    ("{", "not valid JSON"),
    ('{"stubs": [{"path": "/a", "delay_ms": -5}]}', "stubs[0].delay_ms: expected an integer >= 0, got -5"),
])
def test_a_bad_stubs_file_is_one_line_and_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    stubs_file = tmp_path / "stubs.json"
    if content is not None:
        stubs_file.write_text(content)
    done = subprocess.run([sys.executable, "-m", "chaos.upstream", "--stubs", str(stubs_file)], cwd=ROOT,
                          capture_output=True, text=True, timeout=15.0, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"chaos.upstream: --stubs {stubs_file}: ")
    assert message in lines[0]
