"""What an answer must look like, as values: one small grammar for every place that judges an answer.

A target file says how *its* service answers (a cache hit in a header, a degraded flag deep in the
JSON, 500 where another service says 503), and every contract judges through these values instead
of literals of one service's habits (Gatling's checks, Chaos Toolkit's tolerances):

    Status       a code (503), a class ("5xx") or a transport outcome ("refused", "reset", "timeout")
    Header       a response header: present, absent, equal to a value, matching a regex
    JsonValue    a value at a JSON path ("meta.cache.hit", "items[0].id"): present, absent, equal, matching
    BodyMatches  a regex searched in the body text
    AllOf / AnyOf / Not   combinations

The matcher (`chaos.answers.match`) is pure; what it needs from a response is captured when the
response arrives (`chaos.answers.capture`), so a stored timeline can be judged again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "AllOf",
    "Answer",
    "AnyOf",
    "BodyMatches",
    "Header",
    "JsonPath",
    "JsonValue",
    "Not",
    "Outcome",
    "Scalar",
    "Status",
    "describe",
]

Scalar: TypeAlias = str | int | float | bool
"""A value an `equals` compares with (TOML has no null: test absence with `present = false`)."""


class Outcome(enum.StrEnum):
    """How a request ended without an HTTP answer, in the words a user writes in `status`."""

    REFUSED = "refused"     # nothing listens: connection refused
    RESET = "reset"         # the connection was reset or closed before an answer
    TIMEOUT = "timeout"     # the client gave up waiting


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """Any of: these exact codes, these classes (2 for "2xx"), these transport outcomes."""

    codes: frozenset[int] = frozenset()
    classes: frozenset[int] = frozenset()
    outcomes: frozenset[Outcome] = frozenset()

    def describe(self) -> str:
        items = [str(c) for c in sorted(self.codes)] + [f"{c}xx" for c in sorted(self.classes)]
        items += [o.value for o in Outcome if o in self.outcomes]
        return "status " + "/".join(items)


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A path into a JSON document: object keys (str) and array indices (int), as written (`text`)."""

    text: str
    segments: tuple[str | int, ...]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """A response header (`name` lower-cased): present (default), absent, equal to or matching a value."""

    name: str
    equals: str | None = None
    matches: str | None = None
    present: bool = True

    def describe(self) -> str:
        return f"header {self.name}{_condition(self.equals, self.matches, self.present)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonValue:
    """The value at `path` of a JSON body: present (default), absent, equal to a scalar, matching a regex."""

    path: JsonPath
    equals: Scalar | None = None
    matches: str | None = None
    present: bool = True

    def describe(self) -> str:
        return f"json {self.path}{_condition(self.equals, self.matches, self.present)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyMatches:
    """A regex searched in the body's text (its first `capture.TEXT_LIMIT_BYTES`)."""

    pattern: str

    def describe(self) -> str:
        return f"body ~ /{self.pattern}/"


@dataclass(frozen=True, slots=True, kw_only=True)
class AllOf:
    parts: tuple[Answer, ...]

    def describe(self) -> str:
        return " and ".join(_nested(p) for p in self.parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyOf:
    parts: tuple[Answer, ...]

    def describe(self) -> str:
        return " or ".join(_nested(p) for p in self.parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    part: Answer

    def describe(self) -> str:
        return f"not {_nested(self.part)}"


Answer: TypeAlias = Status | Header | JsonValue | BodyMatches | AllOf | AnyOf | Not


def describe(answer: Answer) -> str:
    """The answer in words, for verdicts and docs: `status 2xx and json meta.degraded == true`."""
    return answer.describe()


def _nested(answer: Answer) -> str:
    text = answer.describe()
    return f"({text})" if isinstance(answer, AllOf | AnyOf) else text


def _condition(equals: Scalar | None, matches: str | None, present: bool) -> str:
    if equals is not None:
        return f" == {_literal(equals)}"
    if matches is not None:
        return f" ~ /{matches}/"
    return "" if present else " absent"


def _literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
