"""Typed readers for raw TOML tables that record problems instead of raising, so one load reports all."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["Problems", "describe"]


def describe(value: object) -> str:
    """A short, type-revealing rendering of a TOML value for messages (`'1s'` vs `1`)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Problems:
    """Collects `key: problem` lines; the loader raises one TargetFileError with all of them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.lines.append(f"{key}: {problem}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def unknown_keys(self, table: Mapping[str, Any], where: str, allowed: Collection[str],
                     *, what: str = "key") -> None:
        """Report every key of `table` not in `allowed`, suggesting the nearest allowed one."""
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(sorted(allowed))})"
            self.add(_join(where, key), f"unknown {what}{hint}")

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
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.add(_join(where, key), f"expected seconds > 0 (a number), got {describe(value)}")
            return default
        return float(value)

    def positive_int(self, raw: Mapping[str, Any], key: str, where: str, *, default: int) -> int:
        if key not in raw:
            return default
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.add(_join(where, key), f"expected an integer >= 1, got {describe(value)}")
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


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else f"[{key}]"
