"""Start and reap a real fake-external-API process (used by this folder's conftest and tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chaos.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamProcess:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path


def start_upstream(tmp: Path, *extra_args: str) -> UpstreamProcess:
    ready = tmp / "upstream.ready"
    log_path = tmp / "upstream.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chaos.upstream", "--host", "127.0.0.1", "--port", "0",
             "--ready-file", str(ready), *extra_args],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        address = wait_until(lambda: ready.exists() and ready.read_text(), timeout_s=15.0,
                             what="fake external API ready file")
    except BaseException:
        stop_upstream(proc)
        raise
    return UpstreamProcess(proc=proc, url=f"http://{address}", log_path=log_path)


def stop_upstream(proc: subprocess.Popen[bytes], timeout_s: float = 5.0) -> int:
    """SIGTERM the process group we created, bounded wait, then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout_s)
    return proc.returncode
