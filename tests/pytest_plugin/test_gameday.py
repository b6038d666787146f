"""`pytest --gameday` driven through a pseudo-terminal, as an operator would: commands typed as a
letter and Enter, the live view read from the screen. A real run: the plugin, an environment (a
stand-in SUT, the fake external API behind the embedded proxy), load, and a latency toxic."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.envs import write_target

from chaos.proxy import ToxiproxyClient

SERVICE = '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
[service.env]
EXTERNAL_API_URL = "{external.url}"
'''

EXPERIMENT = '''
import json, os
from pathlib import Path

import httpx
from chaos.contracts import Status, Verdict
from chaos.faults import ToxicFault
from chaos.observe import RequestSpec

def test_gameday(experiment):
    api = experiment.env.dependency("external")
    with experiment.load(RequestSpec.parse("GET /"), rate_per_s=10, duration_s=120, timeout_s=2):
        fault = ToxicFault(client=experiment.env.proxy, dependency=api, toxic_type="latency",
                           attributes={"latency": 50})
        with experiment.fault(fault):
            Path(os.environ["STATE"]).write_text(json.dumps({"url": experiment.env.proxy_url,
                                                             "proxy": api.proxy_name}))
            httpx.get(api.url() + "/through-the-toxic", timeout=5)  # bytes cross the toxic: the receipt's proof
            experiment.hold(60)
    experiment.check(Verdict(contract="gameday", status=Status.PASSED, summary="ran", evidence=(), figures={}))
'''

STEP_TIMEOUT_S = 60.0  # each expected line; the environment's start (~2-5 s) is the slowest step


class Terminal:
    """A pytest run on the far side of a pseudo-terminal (its controlling terminal)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.screen = ""
        self._seen = 0

    def expect(self, pattern: str, timeout_s: float = STEP_TIMEOUT_S) -> re.Match[str]:
        """Wait (bounded) for `pattern` in the output after what the last expect matched."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.screen, self._seen)
            if match is not None:
                self._seen = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"{pattern!r} not seen within {timeout_s:g} s; screen:\n{self.screen[-3000:]}")

    def send(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def wait_exit(self, timeout_s: float = STEP_TIMEOUT_S) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._read(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                with contextlib.suppress(OSError):
                    while self._read(0.1):  # what was written before it exited
                        pass
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"pytest did not exit within {timeout_s:g} s; screen:\n{self.screen[-3000:]}")

    def _read(self, timeout_s: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout_s)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the other side closed
            return False
        self.screen += data.decode(errors="replace")
        return bool(data)

    def close(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # pty.fork made it a session (and group) leader
            os.waitpid(self.pid, 0)
            self.pid = 0
        os.close(self.fd)


def spawn(tmp_path: Path, argv: list[str]) -> tuple[Terminal, Path]:
    """`argv` run on the far side of a new pseudo-terminal, in `tmp_path`, next to the experiment."""
    (tmp_path / "test_gd.py").write_text(EXPERIMENT)
    state = tmp_path / "state.json"
    env = {k: v for k, v in os.environ.items() if k not in {"TOXIPROXY_URL", "PYTEST_ADDOPTS"}}
    env["STATE"] = str(state)
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once (nothing else runs between fork and exec)
        os.chdir(tmp_path)
        os.execve(argv[0], argv, env)
    return Terminal(pid, fd), state


def pytest_argv(tmp_path: Path, *extra: str) -> list[str]:
    target = write_target(tmp_path, SERVICE, deps='[dependencies.external]\nkind = "http"\n')
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q",
            str(tmp_path / "test_gd.py"), "--gameday", "--chaos-target", str(target),
            f"--basetemp={tmp_path / 'base'}", *extra]


def chaos_argv(tmp_path: Path, *extra: str) -> list[str]:
    """`chaos gameday`, the console script next to this interpreter."""
    target = write_target(tmp_path, SERVICE, deps='[dependencies.external]\nkind = "http"\n')
    return [str(Path(sys.executable).parent / "chaos"), "gameday", "--target", str(target),
            "--experiments", str(tmp_path / "test_gd.py"), "--",
            "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'base'}", *extra]


@pytest.fixture
def gameday(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    terminal, state = spawn(tmp_path, pytest_argv(tmp_path))
    try:
        yield terminal, state
    finally:
        terminal.close()


@pytest.fixture
def chaos_gameday(tmp_path: Path) -> Iterator[Callable[..., tuple[Terminal, Path]]]:
    """Start `chaos gameday` on a terminal, with extra pytest arguments: `chaos_gameday("-x")`."""
    started: list[Terminal] = []

    def start(*extra: str) -> tuple[Terminal, Path]:
        terminal, state = spawn(tmp_path, chaos_argv(tmp_path, *extra))
        started.append(terminal)
        return terminal, state

    try:
        yield start
    finally:
        for terminal in started:
            terminal.close()


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_ADDOPTS", "PYTEST_TIMEOUT"}}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, env=env,
                          check=False)


def toxics(state: Path) -> list[str]:
    info = json.loads(state.read_text())
    with ToxiproxyClient(info["url"]) as client:
        return [t.name for t in client.toxics(info["proxy"])]


def test_inject_hold_longer_then_heal_now(gameday: tuple[Terminal, Path]) -> None:
    terminal, state = gameday
    terminal.expect(r"\[gameday\] experiment test_gameday \(seed \d+\)")
    terminal.expect(r"inject latency\(external\)\? c=continue a=abort")
    assert not state.exists()  # nothing injected before the operator says so
    terminal.send("c")
    terminal.expect(r"holding for 60 s")
    # the live view, redrawn once a second: rate, errors, latency, readiness, fault status, time since inject
    terminal.expect(r"t\+\d+\.\d s \| \d+\.\d req/s \| errors \d+% \| p50 \d+ ms p99 \d+ ms \| ready yes \| "
                    r"faults: latency\(external\) \| hold \d+ s left")
    assert toxics(state) == ["chaos_latency_downstream"]
    terminal.send("l")
    terminal.expect(r"holding 10 s longer")
    terminal.send("h")
    terminal.expect(r"healing now")
    terminal.expect(r"test_gameday: done")
    assert terminal.wait_exit() == 0, terminal.screen[-3000:]
    assert "1 passed" in terminal.screen
    assert "heal latency(external)?" not in terminal.screen  # "heal now" skips the before-heal question


def test_abort_heals_everything_at_once(gameday: tuple[Terminal, Path]) -> None:
    terminal, state = gameday
    terminal.expect(r"inject latency\(external\)\? c=continue a=abort")
    terminal.send("x")
    terminal.expect(r"unknown command 'x': type one of a, c and Enter")
    terminal.send("c")
    terminal.expect(r"faults: latency\(external\) \| hold \d+ s left")
    assert toxics(state) == ["chaos_latency_downstream"]
    started = time.monotonic()
    terminal.send("a")
    terminal.expect(r"ABORT \(during the hold\): healing every active fault at once \(latency\(external\)\)")
    terminal.expect(r"test_gameday: ABORTED")
    assert time.monotonic() - started < 10  # at once: not after the 60 s hold
    assert terminal.wait_exit() == 1, terminal.screen[-3000:]
    assert "ABORTED: experiment test_gameday aborted: stop condition operator: aborted by the operator during " \
           "the hold" in terminal.screen
    assert "healed at once: latency(external): remove toxic chaos_latency_downstream" in terminal.screen


def test_chaos_gameday_is_the_same_game_day(chaos_gameday: Callable[..., tuple[Terminal, Path]]) -> None:
    """The CLI path: `chaos gameday` on a terminal, its header stating the game day's bound."""
    terminal, state = chaos_gameday()
    terminal.expect(r"chaos: game day: an experiment still running 2 h after its first checkpoint is aborted and "
                    r"healed \(--gameday-max-s\); pytest-timeout's limit, if any, is extended by 2 h for each")
    terminal.expect(r"\[gameday\] experiment test_gameday \(seed \d+\): aborted and healed if still running in 2 h")
    terminal.expect(r"inject latency\(external\)\? c=continue a=abort")
    assert not state.exists()
    terminal.send("c")
    terminal.expect(r"faults: latency\(external\) \| hold \d+ s left")
    assert toxics(state) == ["chaos_latency_downstream"]
    terminal.send("h")
    terminal.expect(r"healing now")
    terminal.expect(r"test_gameday: done")
    assert terminal.wait_exit() == 0, terminal.screen[-3000:]
    assert "1 passed" in terminal.screen


def test_the_bound_ends_a_game_day_however_long_the_operator_holds(
        chaos_gameday: Callable[..., tuple[Terminal, Path]]) -> None:
    terminal, state = chaos_gameday("-q", "--gameday-max-s", "8")
    terminal.expect(r"aborted and healed if still running in 8 s")
    terminal.expect(r"inject latency\(external\)\? c=continue a=abort")
    started = time.monotonic()          # the first checkpoint: the bound runs from here
    terminal.send("c")
    terminal.expect(r"holding for 60 s")
    assert toxics(state) == ["chaos_latency_downstream"]
    for _ in range(2):
        terminal.send("l")
        terminal.expect(r"holding 10 s longer")
    terminal.expect(r"ABORT \(past the game day's bound of 8 s\): healing every active fault at once "
                    r"\(latency\(external\)\)")
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 5        # healed at once: the toxic goes right after the message
    while toxics(state) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert toxics(state) == []
    assert 7.0 <= elapsed < 20.0   # the 8 s bound (a busy machine draws late), not the 60 s + 20 s held
    terminal.expect(r"test_gameday: ABORTED")
    assert terminal.wait_exit() == 1, terminal.screen[-3000:]
    assert "stop condition gameday bound: aborted past the game day's bound of 8 s" in terminal.screen


def test_chaos_gameday_refuses_n_as_pytest_gameday_does(tmp_path: Path) -> None:
    """The same refusal, the same exit code (pytest's usage error), before anything starts."""
    results = []
    for argv in (pytest_argv(tmp_path, "-n", "2"), chaos_argv(tmp_path, "-n", "2")):
        done = run(argv, tmp_path)
        results.append((done.returncode, done.stderr.strip().splitlines()[-1:]))
    refusal = "ERROR: --gameday runs one experiment at a time on this terminal: drop -n/--numprocesses"
    assert results == [(4, [refusal]), (4, [refusal])], results


TIMED = """
import time

def test_waits_longer_than_the_timeout():
    time.sleep(2.5)
"""


def test_pytest_timeout_is_extended_by_the_bound_under_gameday(tmp_path: Path) -> None:
    """Shown both ways on a test that outlasts a 1 s pytest-timeout: killed unattended, not in a game day."""
    (tmp_path / "test_timed.py").write_text(TIMED)
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "test_timed.py",
            "-o", "timeout=1", f"--basetemp={tmp_path / 'base'}"]
    unattended = run(base, tmp_path)
    assert unattended.returncode == 1, unattended.stdout
    assert "Timeout (>1.0s)" in unattended.stdout
    gameday = run([*base, "--gameday"], tmp_path)
    assert gameday.returncode == 0, gameday.stdout
    assert "1 passed" in gameday.stdout
    assert "pytest-timeout's limit, if any, is extended by 2 h for each" in gameday.stdout
    bad = run([*base, "--gameday", "--gameday-max-s", "0"], tmp_path)
    assert bad.returncode == 4
    assert "invalid game-day bound '0' from --gameday-max-s: expected seconds > 0" in bad.stderr
