"""`python -m chaos proxy`: its address line, ready file, clean exit on SIGTERM/SIGINT, --metrics, --seed,
one line per API change, one line for bad options, loopback unless --allow-remote; and the
docker image's `/toxiproxy` entry point that runs it."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.sockets import EchoServer, addr, connect

from chaos.proxy import ToxiproxyClient
from chaos.waiting import wait_until


@dataclass(frozen=True, slots=True)
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    stdout: Path
    stderr: Path


@contextlib.contextmanager
def chaos_proxy(tmp_path: Path, *extra: str, argv: Sequence[str] = ()) -> Iterator[Running]:
    """`chaos proxy --port 0` (or `argv`), its output in files: a pipe nobody reads could fill and stall it."""
    ready = tmp_path / "ready"
    args = list(argv) or [sys.executable, "-m", "chaos", "proxy", "--port", "0", "--ready-file", str(ready), *extra]
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(args, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        wait_until(lambda: out.read_text().count("\n") > 0 or proc.poll() is not None, timeout_s=15,
                   what="the address line")
        match = re.match(r"chaos proxy: Toxiproxy API on (http://\S+) ", out.read_text())
        assert match, err.read_text()
        yield Running(proc, match.group(1), out, err)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", "proxy", *args], capture_output=True, text=True,
                          timeout=30, check=False)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_exits_0_closing_everything(tmp_path: Path, echo: EchoServer,
                                               sig: signal.Signals) -> None:
    with chaos_proxy(tmp_path) as running:
        proc, url = running.proc, running.url
        assert (tmp_path / "ready").read_text() == url.removeprefix("http://")
        host, _ = addr(url.removeprefix("http://"))
        assert host == "127.0.0.1"
        with ToxiproxyClient(url) as client:
            assert client.version() == "2.12.0"
            listen = client.create_proxy("cli", upstream=echo.address).listen
            assert httpx.get(url + "/metrics", timeout=5).status_code == 404
        with connect(listen) as live:
            live.sendall(b"x")
            assert live.recv(1) == b"x"
            os.killpg(proc.pid, sig)
            assert proc.wait(10) == 0
            live.settimeout(2)
            assert live.recv(1) == b""  # the live connection was closed
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(addr(listen), timeout=2)


def test_metrics_flag(tmp_path: Path) -> None:
    with chaos_proxy(tmp_path, "--metrics", "--seed", "3") as running:
        proc, url = running.proc, running.url
        response = httpx.get(url + "/metrics", timeout=5)
        assert response.status_code == 200
        assert "toxiproxy_proxy_received_bytes_total" in response.text
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0


def test_logs_every_api_change_at_info(tmp_path: Path, echo: EchoServer) -> None:
    with chaos_proxy(tmp_path) as running, ToxiproxyClient(running.url) as client:
        assert running.stdout.read_text() == (f"chaos proxy: Toxiproxy API on {running.url} (proxies on loopback "
                                              "only); stop with Ctrl-C or SIGTERM\n")
        listen = client.create_proxy("db", upstream=echo.address).listen
        client.update_proxy("db", enabled=False)
        client.add_toxic("db", "latency", attributes={"latency": 5}, stream="upstream")
        client.update_toxic("db", "latency_upstream", attributes={"jitter": 1})
        client.delete_toxic("db", "latency_upstream")
        client.reset()
        client.delete_proxy("db")
        os.killpg(running.proc.pid, signal.SIGTERM)
        assert running.proc.wait(10) == 0
    lines = [line.split(" INFO ", 1)[1] for line in running.stderr.read_text().splitlines() if " INFO " in line]
    assert lines[1:] == [
        f"proxy db created: listen {listen}, upstream {echo.address}, enabled",
        f"proxy db updated: listen {listen}, upstream {echo.address}, disabled",
        "toxic latency_upstream added to proxy db: latency upstream, toxicity 1, latency=5, jitter=0",
        "toxic latency_upstream updated on proxy db: latency upstream, toxicity 1, latency=5, jitter=1",
        "toxic latency_upstream removed from proxy db",
        "reset: every proxy enabled, every toxic removed",
        "proxy db deleted",
    ]
    assert lines[0].startswith("Toxiproxy-compatible API on ")


@pytest.mark.parametrize(("args", "line"), [
    (("--port", "99999"), "chaos proxy: API port 99999: expected a port number from 0 to 65535 (0 picks a free one)"),
    (("--port", "-1"), "chaos proxy: API port -1: expected a port number from 0 to 65535 (0 picks a free one)"),
    (("--log-level", "chatty"), "chaos proxy: --log-level chatty: expected DEBUG, INFO, WARNING or ERROR"),
    (("--host", "0.0.0.0", "--port", "0"),
     "chaos proxy: API host 0.0.0.0 is not a loopback address, and an unauthenticated Toxiproxy API on a network "
     "is an open relay: anyone who reaches it can make this machine connect anywhere its network reaches; allow it "
     "explicitly with --allow-remote (allow_remote=True)"),
])
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], line: str) -> None:
    result = run_cli(*args)
    assert (result.returncode, result.stderr, result.stdout) == (2, line + "\n", "")


def test_allow_remote_warns_of_the_open_relay(tmp_path: Path) -> None:
    # on loopback still: the opt-in and its warning are what is tested, not a listener on a network
    with chaos_proxy(tmp_path, "--allow-remote") as running:
        assert "(proxies on any address)" in running.stdout.read_text()
        wait_until(lambda: "WARNING" in running.stderr.read_text(), timeout_s=5, what="the warning")
        warning = next(line for line in running.stderr.read_text().splitlines() if "WARNING" in line)
        assert f"remote access allowed (--allow-remote): the API on {running.url} and the proxies may listen on " \
               "network interfaces; an unauthenticated Toxiproxy API on a network is an open relay" in warning
    with chaos_proxy(tmp_path) as plain:
        assert "WARNING" not in plain.stderr.read_text()


# --- the docker image's /toxiproxy ----------------------------------------------------------------

ENTRY = Path(__file__).resolve().parents[2] / "docker" / "proxy" / "toxiproxy.py"


def _entry_module() -> Any:
    spec = importlib.util.spec_from_file_location("toxiproxy_entry", ENTRY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_image_entry_opts_in_to_remote_only_for_a_non_loopback_host() -> None:
    entry = _entry_module()
    bridge = entry.server_argv(entry.parse(["-host=0.0.0.0", "-port=8474"]), "/tmp/ready")
    assert bridge[1:] == ["-m", "chaos", "proxy", "--host", "0.0.0.0", "--port", "8474", "--ready-file",
                          "/tmp/ready", "--allow-remote"]
    for host in ("127.0.0.1", "localhost"):
        hostnet = entry.server_argv(entry.parse([f"-host={host}", "-port", "9000"]), "/tmp/ready")
        assert "--allow-remote" not in hostnet
    assert "--allow-remote" not in entry.server_argv(entry.parse([]), "/tmp/ready")  # Toxiproxy's default: localhost


def test_the_image_entry_populates_its_config_on_loopback(tmp_path: Path, echo: EchoServer) -> None:
    config = tmp_path / "toxiproxy.json"
    config.write_text(json.dumps([{"name": "redis", "listen": "127.0.0.1:0", "upstream": echo.address}]))
    argv = [sys.executable, str(ENTRY), "-host=127.0.0.1", "-port=0", f"-config={config}"]
    with chaos_proxy(tmp_path, argv=argv) as running, ToxiproxyClient(running.url) as client:
        wait_until(lambda: "populated 1 proxies" in running.stderr.read_text(), timeout_s=15, what="populate")
        listen = client.get_proxy("redis").listen
        assert addr(listen)[0] == "127.0.0.1"
        with connect(listen) as sock:
            sock.sendall(b"ok")
            assert sock.recv(2) == b"ok"
        os.kill(running.proc.pid, signal.SIGTERM)  # as `docker stop` does: to PID 1, which forwards it
        assert running.proc.wait(10) == 0
