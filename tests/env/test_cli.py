"""`chaos doctor`, `--version`, `ls`, and what `chaos up` / `chaos down` tell the user (real processes)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.envs import HTTP_ONLY_DEPS, HTTP_ONLY_SERVICE, write_target
from support.hostile_targets import HOSTILE, Hostile

from chaos import __version__
from chaos.cli import build_parser
from chaos.cli.doctor_cmd import Status, run_checks
from chaos.cli.env_cmd import _proxy_port
from chaos.env.ports import free_port
from chaos.env.registry import Registry
from chaos.env.state import checkout_root
from chaos.errors import PortUnavailable
from chaos.proxy import ToxiproxyClient


def chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_doctor_reports_what_the_local_backend_needs() -> None:
    result = chaos("doctor")
    assert result.returncode == 0, result.stdout
    for line in ("postgres", "postgres user", "redis-server", "package psycopg", "docker engine",
                 "TOXIPROXY_URL"):
        assert f"  {line} " in result.stdout
    assert "everything the local backend needs is here" in result.stdout


def test_doctor_checks_a_configured_toxiproxy() -> None:
    checks = {c.what: c for c in run_checks("http://127.0.0.1:9")}   # nothing listens on port 9
    assert checks["TOXIPROXY_URL"].status is Status.WARN
    assert "does not answer" in checks["TOXIPROXY_URL"].detail
    assert all(c.status is not Status.MISSING for c in checks.values())


def test_up_with_a_broken_target_is_one_line_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "chaos.toml"
    bad.write_text('[service]\ncommand = ["true"]\nurl = "http://127.0.0.1:{prot}"\nhealth = "/"\n')
    result = chaos("up", "--target", str(bad), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 2
    assert "[service].url: unknown template name {prot}" in result.stderr
    assert "did you mean {port}?" in result.stderr
    assert "Traceback" not in result.stderr


def test_down_with_nothing_running(tmp_path: Path) -> None:
    result = chaos("down", "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 0
    assert "no environments" in result.stdout
    missing = chaos("down", "--id", "nope", "--state-dir", str(tmp_path / "state"))
    assert missing.returncode == 2
    assert "no environment 'nope'" in missing.stderr


def test_up_with_a_command_that_cannot_start_is_one_line(tmp_path: Path) -> None:
    """No FileNotFoundError traceback: one line naming the program, exit 2, nothing left registered.
    (Whether the loader or the environment catches it, the user sees the same kind of line.)"""
    program = tmp_path / "gone"
    target = tmp_path / "chaos.toml"
    target.write_text(f'[service]\ncommand = ["{program}"]\nurl = "http://127.0.0.1:{{port}}"\nhealth = "/"\n')
    state = tmp_path / "state"
    result = chaos("up", "--target", str(target), "--state-dir", str(state), "--proxy-port", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chaos up: ")
    assert str(program) in line
    assert list(Registry(state).records()) == []


def test_up_with_a_typod_defect_says_the_sut_exited_and_why(tmp_path: Path) -> None:
    """The reference service refuses an unknown defect at once: the line says it exited (not "not ready
    after 20 s"), and the log tail carries the SUT's own did-you-mean."""
    result = chaos("up", "--state-dir", str(tmp_path / "state"), "--proxy-port", "0",
                   "--sut-env", "SUT_DEFECTS=no_pool_timout")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert re.fullmatch(r"chaos up: the SUT \(http://127\.0\.0\.1:\d+\) exited with code 2 after \d+\.\d s, "
                        r"before it was ready", first), first
    assert "unknown defect 'no_pool_timout'; did you mean 'no_pool_timeout'?" in result.stderr
    assert "not ready" not in result.stderr


def test_version_names_the_suite_and_the_checkout() -> None:
    result = chaos("--version")
    assert result.returncode == 0
    assert re.fullmatch(rf"chaos-suite {re.escape(__version__)} \(checkout {re.escape(str(checkout_root()))}, "
                        r"Python 3\.\d+\.\d+\)\n", result.stdout), result.stdout


def test_proxy_port_defaults_to_toxiproxys_8474(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether 8474 is free on this machine or not, the port asked for is 8474."""
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    args = build_parser().parse_args(["up"])
    outcome: int | PortUnavailable
    try:
        outcome = _proxy_port(args)
    except PortUnavailable as exc:
        outcome = exc
    if isinstance(outcome, PortUnavailable):
        assert outcome.port == 8474
        assert "--proxy-port 0 a free one" in str(outcome)
    else:
        assert outcome == 8474


def test_proxy_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = chaos("up", "--proxy-port", "99999", "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 2
    assert "argument --proxy-port: expected a port number 0..65535, got '99999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_on_a_taken_proxy_port_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    target = write_target(tmp_path, HTTP_ONLY_SERVICE, deps=HTTP_ONLY_DEPS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for detach in ((), ("--detach",)):
            result = chaos("up", *detach, "--target", str(target), "--state-dir", str(tmp_path / "state"),
                           "--proxy-port", str(port))
            assert result.returncode == 2, result.stdout
            assert result.stderr == (f"chaos up: the proxy API port 127.0.0.1:{port} is already in use; "
                                     "--proxy-port N chooses another, --proxy-port 0 a free one\n")
    assert list(Registry(tmp_path / "state").records()) == []


def test_detached_up_writes_the_ready_file_and_ls_lists_it(tmp_path: Path) -> None:
    """--ready-file with --detach (it used to be ignored), keys without spaces, the fixed proxy port,
    and `chaos ls` with the id, the owner pid and the URLs."""
    target = write_target(tmp_path, HTTP_ONLY_SERVICE, deps=HTTP_ONLY_DEPS)
    state, ready = tmp_path / "state", tmp_path / "ready.json"
    port = free_port()
    up = chaos("up", "--detach", "--target", str(target), "--state-dir", str(state), "--proxy-port", str(port),
               "--ready-file", str(ready))
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        info = json.loads(ready.read_text())
        assert sorted(info["urls"]) == ["external_direct", "external_proxied", "proxy_api", "sut"]
        assert info["urls"]["proxy_api"] == f"http://127.0.0.1:{port}"
        assert ToxiproxyClient(info["urls"]["proxy_api"]).proxies()   # the API answers there

        listing = chaos("ls", "--state-dir", str(state))
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        assert lines[1].startswith(f"{info['env_id']}  owner pid {info['owner_pid']}, detached, since ")
        for key, url in info["urls"].items():
            assert f"  {key:<16}  {url}" in lines
        (row,) = json.loads(chaos("ls", "--json", "--state-dir", str(state)).stdout)
        assert (row["env_id"], row["owner_pid"], row["owner_alive"], row["urls"]) == (
            info["env_id"], info["owner_pid"], True, info["urls"])
    finally:
        down = chaos("down", "--state-dir", str(state))
    assert f"stopped {info['env_id']}" in down.stdout
    assert chaos("ls", "--state-dir", str(state)).stdout.startswith("no environments in ")


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
def test_up_with_a_hostile_target_exits_2_with_the_loader_text(tmp_path: Path, hostile: Hostile) -> None:
    bad = hostile.write(tmp_path)
    for detach in ((), ("--detach",)):   # told before anything starts, in the background or not
        result = chaos("up", *detach, "--target", str(bad), "--state-dir", str(tmp_path / "state"))
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr == f"chaos up: {bad}: {hostile.problem(bad)}\n"
        assert result.stdout == ""
    assert not (tmp_path / "state").exists()   # nothing was started, nothing logged
