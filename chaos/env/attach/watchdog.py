"""The attach backend's watchdog: a command fault's undo, run even when the runner is SIGKILLed.

A proxy fault is leased: the Toxiproxy reverts it by itself when the runner stops renewing. A
command fault (a dependency stopped, the service killed) has no such server-side undo, so before the
suite runs such a command it *arms* the repair (`start postgres`) with this watchdog, and *disarms*
it once the component is back. The watchdog is a small process of the suite's (not the
deployment's) in a session of its own, reading JSON lines on a pipe from the runner: when the pipe
closes without a goodbye (the runner died, however), it runs every armed repair, newest first, each
bounded by its command's timeout, logs what it did and exits. A clean close says goodbye and it
exits at once.

    python -m chaos.env.attach LOG      (started by WatchdogClient; stdin is the pipe)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

__all__ = ["WatchdogClient", "main"]

_REPAIR_GRACE_S: Final = 5.0     # beyond each repair's own timeout, for the kill and the log
_EXIT_WAIT_S: Final = 5.0


class WatchdogClient:
    """The runner's side: start the watchdog, arm and disarm repairs, say goodbye on close.

    Thread-safe; every call is a line on the pipe, so it costs microseconds. A watchdog that died
    (or could not start) is noted once in `problem` and the run goes on: the next attached run still
    heals what is left."""

    def __init__(self, *, log_path: Path, cwd: Path, environ: Mapping[str, str], secrets: Sequence[str]) -> None:
        self.log_path = log_path
        self.problem = ""
        self._lock = threading.Lock()
        self._armed: set[str] = set()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            # its own session and no parent-death signal: it must outlive the runner it watches
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-m", "chaos.env.attach", str(log_path)], stdin=subprocess.PIPE,
                stdout=log, stderr=log, start_new_session=True, close_fds=True)
        self._send({"op": "hello", "cwd": str(cwd), "environ": dict(environ), "secrets": list(secrets)})

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def arm(self, key: str, argv: Sequence[str], *, what: str, timeout_s: float) -> None:
        """Should the runner die before `disarm(key)`, run `argv` (what: "start postgres")."""
        with self._lock:
            self._armed.add(key)
        self._send({"op": "arm", "key": key, "argv": list(argv), "what": what, "timeout_s": timeout_s})

    def disarm(self, key: str) -> None:
        with self._lock:
            if key not in self._armed:
                return
            self._armed.discard(key)
        self._send({"op": "disarm", "key": key})

    def close(self) -> None:
        """Goodbye: nothing to repair; the watchdog exits (bounded wait, then SIGKILL by its PID)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdin is not None
            proc.stdin.write(b'{"op": "bye"}\n')
            proc.stdin.close()
        try:
            proc.wait(_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(_EXIT_WAIT_S)

    def _send(self, message: Mapping[str, Any]) -> None:
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None:
                return
            try:
                proc.stdin.write(json.dumps(message).encode() + b"\n")
                proc.stdin.flush()
            except (OSError, ValueError) as exc:
                self.problem = self.problem or f"the watchdog is gone ({exc}): see {self.log_path}"


def _mask(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _run(repair: Mapping[str, Any], *, cwd: str, environ: Mapping[str, str], log: IO[str],
         secrets: Sequence[str]) -> None:
    started = time.monotonic()
    timeout = float(repair["timeout_s"])
    try:
        proc = subprocess.Popen(list(repair["argv"]), cwd=cwd, env=dict(environ), start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.write(f"{repair['what']}: could not run: {_mask(str(exc), secrets)}\n")
        return
    try:
        code: int | None = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(_REPAIR_GRACE_S)
        code = None
    how = "timed out (killed)" if code is None else f"exit code {code}"
    log.write(f"{repair['what']}: {how} after {time.monotonic() - started:.1f} s\n")
    log.flush()


def main(argv: Sequence[str]) -> int:
    """Read the runner's lines until a goodbye (exit) or the end of the pipe (repair, then exit)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # a Ctrl-C meant for the runner is not for us
    armed: dict[str, Mapping[str, Any]] = {}
    hello: dict[str, Any] = {"cwd": ".", "environ": dict(os.environ), "secrets": []}
    with open(argv[0], "a", encoding="utf-8") as log:
        for raw in sys.stdin.buffer:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            op = message.get("op")
            if op == "bye":
                return 0
            if op == "hello":
                hello.update(message)
            elif op == "arm":
                armed.pop(message["key"], None)
                armed[message["key"]] = message
            elif op == "disarm":
                armed.pop(message["key"], None)
        if armed:
            log.write(f"the runner went away with {len(armed)} command fault(s) in place: repairing, newest first\n")
        for repair in reversed(list(armed.values())):
            _run(repair, cwd=hello["cwd"], environ=hello["environ"], log=log, secrets=hello["secrets"])
    return 0

