"""Hostile target files (issue 15): whatever the input, one TargetFileError naming the file and the key,
never another exception, a flood or a hang."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from chaos.errors import TargetFileError
from chaos.targetfile import load_target

BASE = """
[service]
command = ["true"]
url = "http://127.0.0.1:{port}"
health = "/health"
"""
NOT_LOOPBACK = ("is not a loopback address; the suite only sends traffic to 127.0.0.0/8 unless you set "
                "allow_remote = true in [service]")
PROBE = '\n[guards.probes.pay]\nurl = "{url}"\nfailing_for_s = 5\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chaos.toml"
    path.write_text(text)
    return path


def error_of(path: Path) -> TargetFileError:
    with pytest.raises(TargetFileError) as info:
        load_target(path, environ={})
    return info.value


def one_line(tmp_path: Path, text: str) -> str:
    """The whole message of a file with one problem: "<file>: <key>: <problem>", one line."""
    path = write(tmp_path, text)
    message = str(error_of(path))
    assert "\n" not in message, message
    prefix = f"{path}: "
    assert message.startswith(prefix), message
    return message[len(prefix):]


def service(**changes: str) -> str:
    text = textwrap.dedent(BASE)
    for old, new in changes.items():
        line = next(line for line in text.splitlines() if line.startswith(f"{old} ="))
        text = text.replace(line, new)
    return text


# --- URLs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "problem"), [
    ("http://[::1:{port}", "not a valid URL (Invalid IPv6 URL): 'http://[::1:{port}'"),
    ("http://[]:{port}", "not a valid URL ('' does not appear to be an IPv4 or IPv6 address): 'http://[]:{port}'"),
    ("http://[zz]:{port}", "not a valid URL ('zz' does not appear to be an IPv4 or IPv6 address): "
                           "'http://[zz]:{port}'"),
    ("http://127.0.0.1:{port}\\n", "a URL cannot contain spaces or control characters (a trailing newline?): "
                                   "'http://127.0.0.1:{port}\\n'"),
    ("http://127.0.0.1:{port}/a b", "a URL cannot contain spaces or control characters (a trailing newline?): "
                                    "'http://127.0.0.1:{port}/a b'"),
    ("http://127.0.0.1:99999", "not a valid URL (Port out of range 0-65535): 'http://127.0.0.1:99999'"),
    ("http://127.0.0.1:x", "not a valid URL (Port could not be cast to integer value as 'x'): 'http://127.0.0.1:x'"),
    ("ftp://127.0.0.1:{port}", "expected http(s)://host:port, got 'ftp://127.0.0.1:{port}'"),
    ("http://:{port}", "expected http(s)://host:port, got 'http://:{port}'"),
    ("http://10.0.0.1:{port}", f"host '10.0.0.1' {NOT_LOOPBACK}"),
    ("http://127.0.0.1.evil.example:{port}", f"host '127.0.0.1.evil.example' {NOT_LOOPBACK}"),
    ("http://0.0.0.0:{port}", f"host '0.0.0.0' {NOT_LOOPBACK}"),
    ("http://user@10.0.0.1:{port}", f"host '10.0.0.1' {NOT_LOOPBACK}"),
])
def test_service_urls(tmp_path: Path, url: str, problem: str) -> None:
    assert one_line(tmp_path, service(url=f'url = "{url}"')) == f"[service].url: {problem}"


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}", "http://localhost:{port}", "http://[::1]:{port}",
                                 "https://127.9.9.9:{port}/base"])
def test_loopback_urls_load(tmp_path: Path, url: str) -> None:
    assert load_target(write(tmp_path, service(url=f'url = "{url}"')), environ={}).service.url == url


@pytest.mark.parametrize(("url", "problem"), [
    ("http://10.0.0.1:8081/health", f"host '10.0.0.1' {NOT_LOOPBACK}"),
    ("http://payments.example:8081/health", f"host 'payments.example' {NOT_LOOPBACK}"),
    ("http://[::1:8081/health", "not a valid URL (Invalid IPv6 URL): 'http://[::1:8081/health'"),
    ("http://[]:8081/health", "not a valid URL ('' does not appear to be an IPv4 or IPv6 address): "
                              "'http://[]:8081/health'"),
    ("http://127.0.0.1:8081/health\\n", "a URL cannot contain spaces or control characters (a trailing "
                                        "newline?): 'http://127.0.0.1:8081/health\\n'"),
])
def test_guard_probe_urls_follow_the_same_rule(tmp_path: Path, url: str, problem: str) -> None:
    text = textwrap.dedent(BASE) + PROBE.format(url=url)
    assert one_line(tmp_path, text) == f"[guards.probes.pay].url: {problem}"


def test_a_remote_guard_probe_needs_the_opt_in(tmp_path: Path) -> None:
    remote = PROBE.format(url="http://10.0.0.1:8081/health")
    allowed = service(health='health = "/health"\nallow_remote = true') + remote
    target = load_target(write(tmp_path, allowed), environ={})
    assert target.guards.probes[0].url == "http://10.0.0.1:8081/health"


# --- paths ---------------------------------------------------------------------------------------

def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert one_line(tmp_path, textwrap.dedent(BASE) + 'cwd = "loop"\n') == \
        f"[service].cwd: cannot resolve 'loop': Symlink loop from '{tmp_path / 'loop'}'"
    pg = '\n[dependencies.pg]\nkind = "postgres"\ninit_sql = "loop"\n'
    assert one_line(tmp_path, textwrap.dedent(BASE) + pg) == \
        f"[dependencies.pg].init_sql: cannot resolve 'loop': Symlink loop from '{tmp_path / 'loop'}'"


def test_over_long_names(tmp_path: Path) -> None:
    long = "a" * 300
    shown = f"'{'a' * 56}..."
    assert one_line(tmp_path, textwrap.dedent(BASE) + f'cwd = "{long}"\n') == \
        f"[service].cwd: cannot resolve {shown}: File name too long"
    pg = f'\n[dependencies.pg]\nkind = "postgres"\ninit_sql = "{long}"\n'
    assert one_line(tmp_path, textwrap.dedent(BASE) + pg) == \
        f"[dependencies.pg].init_sql: cannot resolve {shown}: File name too long"
    assert one_line(tmp_path, service(command=f'command = ["./{long}"]')) == \
        f"[service].command[0]: cannot resolve '{'./' + 'a' * 54}...: File name too long"


@pytest.mark.parametrize(("text", "problem"), [
    (textwrap.dedent(BASE) + 'cwd = "a\\u0000b"\n', "[service].cwd: a path cannot contain a NUL byte: 'a\\x00b'"),
    (textwrap.dedent(BASE) + '\n[dependencies.pg]\nkind = "postgres"\ninit_sql = "x\\u0000"\n',
     "[dependencies.pg].init_sql: a path cannot contain a NUL byte: 'x\\x00'"),
    (service(command='command = ["tr\\u0000ue"]'),
     "[service].command[0]: a program name cannot contain a NUL byte: 'tr\\x00ue'"),
    (textwrap.dedent(BASE) + '\n[service.env]\nX = "a\\u0000b"\n',
     "[service].env.X: an environment value cannot contain a NUL byte"),
    (service(health='health = "/h\\u0000"'),
     "[service].health: expected an URL path starting with '/' (no spaces), got '/h\\x00'"),
])
def test_nul_bytes(tmp_path: Path, text: str, problem: str) -> None:
    assert one_line(tmp_path, text) == problem


def test_a_raw_nul_byte_or_binary_garbage_is_no_toml(tmp_path: Path) -> None:
    path = tmp_path / "chaos.toml"
    path.write_bytes(b'[service]\ncommand = ["\x00"]\n')
    assert str(error_of(path)) == f"{path}: TOML syntax error: Illegal character '\\x00' (at line 2, column 13)"
    path.write_bytes(b"\x00\x01garbage\xff")
    assert str(error_of(path)) == (f"{path}: not UTF-8 text: 'utf-8' codec can't decode byte 0xff in position 9: "
                                   "invalid start byte")
    path.write_bytes(b"x" * (1 << 20) + b"x")
    assert str(error_of(path)) == f"{path}: larger than 1 MiB: not a target file"


def test_a_path_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    assert one_line(tmp_path, textwrap.dedent(BASE) + 'cwd = "sub\\n"\n') == \
        f"[service].cwd: not a directory: {str(tmp_path / 'sub') + chr(10)!r}"
    pg = '\n[dependencies.pg]\nkind = "postgres"\ninit_sql = "s.sql\\r"\n'
    assert one_line(tmp_path, textwrap.dedent(BASE) + pg) == \
        f"[dependencies.pg].init_sql: file not found: {str(tmp_path / 's.sql') + chr(13)!r}"
    assert one_line(tmp_path, service(command='command = ["./run\\n"]')) == (
        f"[service].command[0]: {str(tmp_path / 'run') + chr(10)!r} does not exist (the command runs in "
        f"[service].cwd = {tmp_path})")


def test_the_target_path_itself(tmp_path: Path) -> None:
    for path, reason in ((tmp_path / "a\0b", "embedded null byte"), (tmp_path / ("n" * 300), "File name too long"),
                         (tmp_path, "Is a directory"), (tmp_path / "missing.toml", "No such file or directory")):
        assert str(error_of(path)) == f"{path}: cannot read the file: {reason}"
    (tmp_path / "self").symlink_to(tmp_path / "self")
    assert str(error_of(tmp_path / "self")) == \
        f"{tmp_path / 'self'}: cannot read the file: Too many levels of symbolic links"


# --- structure and numbers -----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a=" * 3000 + "1" + "}" * 3000, "[" * 33 + "]" * 33])
def test_toml_nested_too_deep(tmp_path: Path, value: str) -> None:
    assert one_line(tmp_path, textwrap.dedent(BASE) + f"x = {value}\n") == \
        "tables or arrays nested too deeply (at most 32)"


def test_a_5000_digit_integer(tmp_path: Path) -> None:
    assert sys.get_int_max_str_digits() == 4300
    text = textwrap.dedent(BASE) + "start_timeout_s = " + "9" * 5000 + "\n"
    assert one_line(tmp_path, text) == "line 6: an integer of 5000 digits is out of range (at most 4300 digits)"


def test_an_integer_too_large_for_a_float(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + "start_timeout_s = " + "9" * 400 + "\n"
    assert one_line(tmp_path, text) == \
        f"[service].start_timeout_s: expected seconds > 0 (a finite number), got {'9' * 57}..."
    contract = '\n[contracts.graceful_drain]\nslow_request = "GET /s"\nslow_request_s = ' + "9" * 400 + "\n"
    assert one_line(tmp_path, textwrap.dedent(BASE) + contract).startswith(
        "[contracts.graceful_drain].slow_request_s: expected seconds > 0 (a finite number), got 999")


@pytest.mark.parametrize(("table", "key", "value", "role"), [
    ("", "[service].start_timeout_s", "nan", ""),
    ("", "[service].shutdown_grace_s", "inf", ""),
    ("", "[service].healthy_within_s", "-inf", ""),
    ("\n[load]\n", "[load].rate_per_s", "inf", ""),
    ("\n[load]\n", "[load].rate_per_s", "nan", ""),
    ("\n[guards.readiness]\n", "[guards.readiness].down_longer_than_s", "inf", ""),
    ("\n[dependencies.pg]\nkind = \"postgres\"\n[contracts.db_restart]\nrequest = \"GET /x\"\ndependency = \"pg\"\n",
     "[contracts.db_restart].recover_within_s", "inf",
     " (budget: how soon after the heal the service must answer healthy again, and stay so)"),
    ("\n[dependencies.pg]\nkind = \"postgres\"\n[contracts.db_restart]\nrequest = \"GET /x\"\ndependency = \"pg\"\n",
     "[contracts.db_restart].fail_within_s", "nan",
     " (budget: how fast a request must come back while the DB is down (a pool or connect timeout of the service "
     "enforces it))"),
])
def test_nan_and_inf_are_no_durations_or_rates(tmp_path: Path, table: str, key: str, value: str, role: str) -> None:
    name = key.rpartition(".")[2]
    text = textwrap.dedent(BASE) + table + f"{name} = {value}\n"
    assert one_line(tmp_path, text) == f"{key}: expected seconds > 0 (a finite number), got {value}{role}"


def test_a_nan_error_rate_is_no_fraction(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + "\n[guards.error_rate]\nabove = nan\nfor_s = 5\n"
    assert one_line(tmp_path, text) == \
        "[guards.error_rate].above: expected a fraction 0 <= above < 1 (a number), got nan"


# --- floods --------------------------------------------------------------------------------------

def test_20000_problems_print_25_and_a_count_with_the_allowed_names_once(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + "".join(f"k{i} = {i}\n" for i in range(20_000))
    error = error_of(write(tmp_path, text))
    assert len(error.problems) == 20_000
    lines = str(error).splitlines()
    assert len(lines) == 1 + 25 + 1
    assert lines[0] == f"{tmp_path / 'chaos.toml'}: invalid target file:"
    assert lines[1] == ("  [service].k0: unknown key (allowed: allow_remote, command, cwd, defects_env, env, headers, "
                        "health, healthy_within_s, prepare, processes, ready, restart, shutdown_grace_s, "
                        "start_timeout_s, url)")
    assert lines[2:26] == [f"  [service].k{i}: unknown key" for i in range(1, 25)]
    assert lines[-1] == "  ... and 19975 more problems"
    assert sum("allowed:" in p for p in error.problems) == 1


def test_known_template_names_are_printed_once(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + "\n[service.env]\n" + "".join(f'K{i} = "{{zz{i}}}"\n' for i in range(100))
    problems = error_of(write(tmp_path, text)).problems
    assert problems[0] == ("[service].env.K0: unknown template name {zz0} in '{zz0}' (known: python, port, "
                           "target_dir, workdir)")
    assert problems[1] == "[service].env.K1: unknown template name {zz1} in '{zz1}'"
    assert sum("known:" in p for p in problems) == 1


def test_allowed_names_once_per_table(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + "aa = 1\nbb = 2\n\n[load]\ncc = 1\ndd = 2\n"
    problems = error_of(write(tmp_path, text)).problems
    assert [p.partition(" (allowed:")[0] for p in problems] == [
        "[service].aa: unknown key", "[service].bb: unknown key", "[load].cc: unknown key", "[load].dd: unknown key"]
    assert ["allowed:" in p for p in problems] == [True, False, True, False]


# --- the command ---------------------------------------------------------------------------------

def test_a_command_not_on_path(tmp_path: Path) -> None:
    assert one_line(tmp_path, service(command='command = ["no-such-program-xyz"]')) == \
        "[service].command[0]: 'no-such-program-xyz' is not found on PATH (install it, or give its path)"


def test_a_command_file_that_is_missing_or_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    assert one_line(tmp_path, service(command='command = ["./run.sh"]')) == \
        f"[service].command[0]: {script} is not executable (chmod +x?) (the command runs in [service].cwd = {tmp_path})"
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert load_target(write(tmp_path, service(command='command = ["./run.sh"]')), environ={}).service.command == (
        "./run.sh",)
    assert one_line(tmp_path, service(command='command = ["./gone.sh"]')) == \
        f"[service].command[0]: {tmp_path / 'gone.sh'} does not exist (the command runs in [service].cwd = {tmp_path})"
    os.mkdir(tmp_path / "bin")
    assert one_line(tmp_path, service(command='command = ["./bin"]')) == (   # a directory is no program
        f"[service].command[0]: {tmp_path / 'bin'} is not executable (chmod +x?) (the command runs in "
        f"[service].cwd = {tmp_path})")


# --- follow-on errors ----------------------------------------------------------------------------

def test_a_broken_dependency_is_told_once_without_guesses_at_its_twin(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE) + textwrap.dedent("""
        [service.env]
        DATABASE_URL = "{postgres.url}"
        REDIS_URL = "{redis.url}"

        [dependencies.postgres]
        kind = "postgres"

        [dependencies.redis]
        kind = "rdis"

        [contracts.cache_fallback]
        request = "GET /api/catalog"
        dependency = "redis"
    """)
    assert one_line(tmp_path, text) == \
        "[dependencies.redis].kind: unknown dependency kind 'rdis' (expected one of: postgres, redis, http)"
    # a dependency that is not declared at all still gets its did-you-mean
    undeclared = text.replace('[dependencies.redis]\nkind = "rdis"\n', "")
    problems = error_of(write(tmp_path, undeclared)).problems
    assert problems == ("[service].env.REDIS_URL: unknown template name {redis.url} in '{redis.url}'; did you mean "
                        "{postgres.url}?",
                        "[contracts.cache_fallback].dependency: unknown dependency 'redis' (declared under "
                        "[dependencies]: postgres)")
