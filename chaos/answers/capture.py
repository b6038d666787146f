"""What to keep of a response so that answer specs can be judged later, from the timeline alone.

Contracts are pure functions of a stored history, so the history must hold what the answers look
at, and no more: a real service's answers can be megabytes, and a run records thousands. The
answers an experiment judges by name the headers, JSON paths and body patterns they read
(`capture_of`); when a response arrives, only those are extracted (`extract`) into the request's
`seen` map, keyed by `header_key` / `json_key` / `pattern_key`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias

from chaos.answers.spec import AllOf, Answer, AnyOf, BodyMatches, Header, JsonPath, JsonValue, Not, Status

__all__ = [
    "JSON_LIMIT_BYTES",
    "NOTHING",
    "TEXT_LIMIT_BYTES",
    "Capture",
    "SeenValue",
    "capture_of",
    "compiled_pattern",
    "extract",
    "header_key",
    "json_key",
    "pattern_key",
]

SeenValue: TypeAlias = str | int | float | bool | None
"""A captured value: a header's text, a JSON scalar (None for JSON null), or a pattern's match."""

JSON_LIMIT_BYTES: Final = 1 << 20
"""Bodies up to 1 MiB are parsed for JSON paths; a larger body shows no JSON value at all."""

TEXT_LIMIT_BYTES: Final = 64 << 10
"""`body_matches` searches the first 64 KiB of the body."""

_MAX_TEXT: Final = 200
"""A captured string is cut to this many characters (enough for a flag, a reason, a header)."""

OBJECT: Final = "<object>"
ARRAY: Final = "<array>"


@dataclass(frozen=True, slots=True)
class Capture:
    """The headers (lower-cased names), JSON paths and body patterns some answers read."""

    headers: frozenset[str] = frozenset()
    json_paths: frozenset[JsonPath] = frozenset()
    patterns: frozenset[str] = frozenset()

    def __or__(self, other: Capture) -> Capture:
        return Capture(self.headers | other.headers, self.json_paths | other.json_paths,
                       self.patterns | other.patterns)

    def __bool__(self) -> bool:
        return bool(self.headers or self.json_paths or self.patterns)


NOTHING: Final = Capture()


def capture_of(*answers: Answer | None) -> Capture:
    """Everything the given answers read (None entries, for undeclared optional answers, read nothing)."""
    result = NOTHING
    for answer in answers:
        if answer is not None:
            result = result | _capture(answer)
    return result


def _capture(answer: Answer) -> Capture:
    if isinstance(answer, Header):
        return Capture(headers=frozenset({answer.name}))
    if isinstance(answer, JsonValue):
        return Capture(json_paths=frozenset({answer.path}))
    if isinstance(answer, BodyMatches):
        return Capture(patterns=frozenset({answer.pattern}))
    if isinstance(answer, AllOf | AnyOf):
        return capture_of(*answer.parts)
    if isinstance(answer, Not):
        return _capture(answer.part)
    assert isinstance(answer, Status)
    return NOTHING


def header_key(name: str) -> str:
    return f"header:{name.lower()}"


def json_key(path: JsonPath) -> str:
    return f"json:{path.text}"


def pattern_key(pattern: str) -> str:
    return f"match:{pattern}"


def extract(capture: Capture, *, headers: Mapping[str, str], content: bytes,
            json_limit_bytes: int = JSON_LIMIT_BYTES) -> dict[str, SeenValue]:
    """What `capture` asks for of one response. A header or path that is absent has no key at all, so
    "absent" and "JSON null" (None) stay apart. A body over `json_limit_bytes` shows no JSON value;
    patterns still search its first `TEXT_LIMIT_BYTES`."""
    seen: dict[str, SeenValue] = {}
    for name in capture.headers:
        value = headers.get(name)
        if value is not None:
            seen[header_key(name)] = value[:_MAX_TEXT]
    if capture.json_paths and len(content) <= json_limit_bytes:
        document = _parse_json(content)
        if document is not _NO_JSON:
            for path in capture.json_paths:
                found, found_value = _lookup(document, path.segments)
                if found:
                    seen[json_key(path)] = found_value
    if capture.patterns:
        text = content[:TEXT_LIMIT_BYTES].decode("utf-8", errors="replace")
        for pattern in capture.patterns:
            match = compiled_pattern(pattern).search(text)
            if match is not None:
                seen[pattern_key(pattern)] = match.group(0)[:_MAX_TEXT]
    return seen


_NO_JSON: Final = object()


def _parse_json(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return _NO_JSON


def _lookup(document: object, segments: tuple[str | int, ...]) -> tuple[bool, SeenValue]:
    node = document
    for segment in segments:
        if isinstance(node, dict) and str(segment) in node:
            node = node[str(segment)]
        elif isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node):
            node = node[segment]
        elif isinstance(node, list) and isinstance(segment, str) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return False, None
    if isinstance(node, dict):
        return True, OBJECT
    if isinstance(node, list):
        return True, ARRAY
    if isinstance(node, str):
        return True, node[:_MAX_TEXT]
    if node is None or isinstance(node, bool | int | float):
        return True, node
    return True, str(node)[:_MAX_TEXT]


@functools.lru_cache(maxsize=256)
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    """A `matches` / `body_matches` regex, compiled once (the loader checked that it compiles)."""
    return re.compile(pattern)
