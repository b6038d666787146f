"""Typed readers for raw TOML tables that record problems instead of raising, so one load reports all."""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

__all__ = ["MAX_COUNT", "MAX_MILLISECONDS", "MAX_PROBLEM_CHARS", "Problems", "describe", "describe_key",
           "describe_path", "is_number"]

MAX_COUNT = 1_000_000
"""The largest count a target file may give (rates, sizes, attempts): beyond it, a typo."""

MAX_PROBLEM_CHARS = 400
"""A problem is one line a person reads: values in it are shortened (`describe`), and a message from
elsewhere that quotes a long value whole (a stub's path) is cut here as a last resort."""

MAX_MILLISECONDS = 3_600_000
"""The longest latency a target file may ask for (an hour): beyond it, a typo."""


def is_number(value: object) -> bool:
    """A TOML int or float that is finite (`nan` and `inf` are TOML floats, never a duration or rate),
    and an int that a float can hold (a 400-digit integer would overflow `float()`)."""
    return (isinstance(value, int) and not isinstance(value, bool) and abs(value) <= sys.float_info.max) or (
        isinstance(value, float) and math.isfinite(value))


def describe(value: object) -> str:
    """A short, type-revealing rendering of a TOML value for messages (`'1s'` vs `1`)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):   # an int beyond sys.get_int_max_str_digits(); a deep table
        return f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= 60 else text[:57] + "..."


class Problems:
    """Collects `key: problem` lines; the loader raises one TargetFileError with all of them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._listed: set[str] = set()   # tables whose allowed keys were printed already

    def add(self, key: str, problem: str) -> None:
        line = f"{key}: {problem}"
        self.lines.append(line if len(line) <= MAX_PROBLEM_CHARS else line[:MAX_PROBLEM_CHARS - 3] + "...")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def unknown_keys(self, table: Mapping[str, Any], where: str, allowed: Collection[str],
                     *, what: str = "key") -> None:
        """Report every key of `table` not in `allowed`, suggesting the nearest allowed one."""
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            elif where in self._listed:
                hint = ""
            else:
                self._listed.add(where)
                hint = f" (allowed: {', '.join(sorted(allowed))})"
            self.add(_join(where, describe_key(key)), f"unknown {what}{hint}")

    def table(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False
              ) -> Mapping[str, Any] | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(_join(where, key), "missing (required table)")
            return None
        if not isinstance(value, Mapping):
            self.add(_join(where, key), f"expected a table, got {describe(value)}")
            return None
        return value

    def string(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False,
               default: str | None = None) -> str | None:
        if key not in raw:
            if required:
                self.add(_join(where, key), "missing (required string)")
            return default
        value = raw[key]
        if not isinstance(value, str) or not value:
            self.add(_join(where, key), f"expected a non-empty string, got {describe(value)}")
            return default
        return value

    def positive_number(self, raw: Mapping[str, Any], key: str, where: str, *, default: float) -> float:
        if key not in raw:
            return default
        value = raw[key]
        if not is_number(value) or value <= 0:
            self.add(_join(where, key), f"expected seconds > 0 (a finite number), got {describe(value)}")
            return default
        return float(value)

    def positive_int(self, raw: Mapping[str, Any], key: str, where: str, *, default: int) -> int:
        if key not in raw:
            return default
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
            self.add(_join(where, key), f"expected an integer 1..{MAX_COUNT}, got {describe(value)}")
            return default
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, where: str, *, default: bool) -> bool:
        if key not in raw:
            return default
        value = raw[key]
        if not isinstance(value, bool):
            self.add(_join(where, key), f"expected true or false, got {describe(value)}")
            return default
        return value


    def path(self, base: Path, raw: str, key: str, *, want: str) -> Path | None:
        """`raw` resolved against `base`, which must be an existing `want` ("file" or "directory");
        None after recording why not. Never raises: NUL bytes, over-long names and symlink loops are
        problems of the file, not crashes of the loader."""
        if "\0" in raw:
            self.add(key, f"a path cannot contain a NUL byte: {describe(raw)}")
            return None
        try:
            path = (base / raw).resolve()
            ok = path.is_file() if want == "file" else path.is_dir()
        except (OSError, RuntimeError, ValueError) as exc:   # ELOOP, ENAMETOOLONG; RuntimeError: a loop
            self.add(key, f"cannot resolve {describe(raw)}: {getattr(exc, 'strerror', None) or exc}")
            return None
        if not ok:
            self.add(key, f"{'file not found' if want == 'file' else 'not a directory'}: {describe_path(path)}")
            return None
        return path


def describe_key(key: object) -> str:
    """A key as it can be printed in a message: long or strange keys are shortened and quoted."""
    text = str(key)
    if len(text) <= 60 and text.isprintable() and " " not in text:
        return text
    return describe(text)


def describe_path(path: object) -> str:
    """A path as written when it prints on one line, quoted and shortened when not (a name with a
    newline in it must not break the one-line message)."""
    text = str(path)
    shown = text if text.isprintable() else repr(text)
    return shown if len(shown) <= 200 else shown[:197] + "..."


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else f"[{key}]"
