"""`python -m chaos proxy`: ready file, clean exit on SIGTERM/SIGINT, --metrics, --seed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.sockets import EchoServer, addr, connect

from chaos.proxy import ToxiproxyClient
from chaos.waiting import wait_until


@contextlib.contextmanager
def chaos_proxy(tmp_path: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    ready = tmp_path / "ready"
    args = [sys.executable, "-m", "chaos", "proxy", "--port", "0", "--ready-file", str(ready), *extra]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: ready.exists() or proc.poll() is not None, timeout_s=15, what="ready file")
        assert ready.exists(), proc.stderr.read().decode() if proc.stderr else "no ready file"
        yield proc, "http://" + ready.read_text().strip()
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_exits_0_closing_everything(tmp_path: Path, echo: EchoServer,
                                               sig: signal.Signals) -> None:
    with chaos_proxy(tmp_path) as (proc, url):
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
    with chaos_proxy(tmp_path, "--metrics", "--seed", "3") as (proc, url):
        response = httpx.get(url + "/metrics", timeout=5)
        assert response.status_code == 200
        assert "toxiproxy_proxy_received_bytes_total" in response.text
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0
