"""A few hostile target files (issue 15) and the one problem line each must produce, for the tests that
run pytest and `chaos up` on them (the loader's own tests go through every case)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HOSTILE", "Hostile"]

_SERVICE = '[service]\ncommand = ["true"]\nurl = "http://127.0.0.1:{port}"\nhealth = "/health"\n'


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    write: Callable[[Path], Path]          # writes the file into a directory, returns its path
    problem: Callable[[Path], str]         # the problem line, given the file's path


def _text(text: str) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / "chaos.toml"
        path.write_text(text)
        return path
    return write


def _bytes(content: bytes) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / "chaos.toml"
        path.write_bytes(content)
        return path
    return write


def _symlink_loop(directory: Path) -> Path:
    (directory / "loop").symlink_to(directory / "loop")
    return _text(_SERVICE + 'cwd = "loop"\n')(directory)


HOSTILE = (
    Hostile("invalid IPv6 URL", _text(_SERVICE.replace("127.0.0.1:{port}", "[::1:{port}")),
            lambda p: "[service].url: not a valid URL (Invalid IPv6 URL): 'http://[::1:{port}'"),
    Hostile("5000-digit integer", _text(_SERVICE + "start_timeout_s = " + "9" * 5000 + "\n"),
            lambda p: "line 5: an integer of 5000 digits is out of range (at most 4300 digits)"),
    Hostile("nested thousands deep", _text(_SERVICE + "x = " + "[" * 5000 + "]" * 5000 + "\n"),
            lambda p: "tables or arrays nested too deeply (at most 32)"),
    Hostile("symlink loop in cwd", _symlink_loop,
            lambda p: f"[service].cwd: cannot resolve 'loop': Symlink loop from '{p.parent / 'loop'}'"),
    Hostile("NUL byte in cwd", _text(_SERVICE + 'cwd = "a\\u0000b"\n'),
            lambda p: "[service].cwd: a path cannot contain a NUL byte: 'a\\x00b'"),
    Hostile("infinite recovery", _text(_SERVICE + '[dependencies.pg]\nkind = "postgres"\n[contracts.db_restart]\n'
                                       'request = "GET /x"\ndependency = "pg"\nrecover_within_s = inf\n'),
            lambda p: "[contracts.db_restart].recover_within_s: expected seconds > 0 (a finite number), got inf "
                      "(budget: how soon after the heal the service must answer healthy again, and stay so)"),
    Hostile("binary garbage", _bytes(b"\x00\x01garbage\xff\xfe"),
            lambda p: "not UTF-8 text: 'utf-8' codec can't decode byte 0xff in position 9: invalid start byte"),
)
