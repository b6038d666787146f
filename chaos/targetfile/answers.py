"""Reading answer specs from a target file (`[answers]`, and the answer parameters of contracts).

    healthy = { status = "2xx" }
    degraded = { json = "meta.degraded", equals = true }
    cached = { header = "X-Cache", equals = "HIT" }
    not_ready = [503, "refused", "reset"]                 # shorthand for { status = [...] }
    failed_fast = { not = { status = "2xx" } }
    locked = { any = [{ status = 423 }, { status = 429, header = "Retry-After" }] }

Every key given in one table must hold. Each problem is reported with its key, as the rest of the
loader does; the grammar is documented in docs/target-file.md.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from chaos.answers import AllOf, Answer, AnyOf, BodyMatches, Header, JsonPath, JsonValue, Not, Outcome, Status
from chaos.targetfile._fields import Problems, describe

__all__ = ["ANSWER_KEYS", "MAX_ANSWER_DEPTH", "parse_answer", "parse_json_path"]

ANSWER_KEYS: Final = ("status", "header", "json", "equals", "matches", "present", "body_matches",
                      "all", "any", "not")
MAX_ANSWER_DEPTH: Final = 8
"""Nesting of all/any/not: deeper than this is a mistake, not a convention."""

_CONDITIONS: Final = ("equals", "matches", "present")
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")   # an RFC 9110 token
_CLASS: Final = re.compile(r"([1-5])xx", re.IGNORECASE)
_PATH_TOKEN: Final = re.compile(r"""\.?([A-Za-z_][A-Za-z0-9_-]*|\d+)|\[(\d+)\]|\[(["'])(.*?)\3\]""")
_STATUS_EXPECTED: Final = ('an HTTP status (503), a class ("5xx"), "refused", "reset" or "timeout", '
                           "or a list of these")


def parse_answer(problems: Problems, key: str, value: Any, *, depth: int = 0) -> Answer | None:
    """The answer spec at `key`, or None after recording what is wrong with it."""
    if depth > MAX_ANSWER_DEPTH:
        problems.add(key, f"answer nested deeper than {MAX_ANSWER_DEPTH} levels of all/any/not")
        return None
    if not isinstance(value, Mapping):
        if isinstance(value, int | str | list) and not isinstance(value, bool):
            return _status(problems, key, value)
        problems.add(key, "expected an answer: a status shorthand (503, \"5xx\", [503, \"refused\"]) or a "
                          f"table such as {{ header = \"X-Cache\", equals = \"HIT\" }}, got {describe(value)}")
        return None
    before = len(problems.lines)   # an unknown key is this answer's problem too: no "empty answer" after it
    problems.unknown_keys(value, key, ANSWER_KEYS)
    parts: list[Answer | None] = []
    if "status" in value:
        parts.append(_status(problems, f"{key}.status", value["status"]))
    subject = [k for k in ("header", "json") if k in value]
    conditions = [k for k in _CONDITIONS if k in value]
    if len(subject) == 2:
        problems.add(key, "header and json in one table: write all = [{ header = ... }, { json = ... }]")
    elif conditions and not subject:
        problems.add(key, f"{'/'.join(conditions)} needs a header = \"...\" or json = \"...\" to apply to")
    elif subject:
        parts.append(_value(problems, key, subject[0], value, conditions))
    if "body_matches" in value:
        pattern = _pattern(problems, f"{key}.body_matches", value["body_matches"])
        parts.append(BodyMatches(pattern=pattern) if pattern is not None else None)
    for combinator in ("all", "any"):
        if combinator in value:
            parts.append(_combination(problems, f"{key}.{combinator}", combinator, value[combinator], depth))
    if "not" in value:
        inner = parse_answer(problems, f"{key}.not", value["not"], depth=depth + 1)
        parts.append(Not(part=inner) if inner is not None else None)
    if len(problems.lines) > before or any(p is None for p in parts):
        return None
    answers = [p for p in parts if p is not None]
    if not answers:
        problems.add(key, f"an empty answer: give at least one of {', '.join(ANSWER_KEYS[:3])}, body_matches, "
                          "all, any, not")
        return None
    return answers[0] if len(answers) == 1 else AllOf(parts=tuple(answers))


def _status(problems: Problems, key: str, value: Any) -> Status | None:
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.add(key, f"expected {_STATUS_EXPECTED}, got an empty list")
        return None
    codes: set[int] = set()
    classes: set[int] = set()
    outcomes: set[Outcome] = set()
    ok = True
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
            codes.add(item)
        elif isinstance(item, str) and _CLASS.fullmatch(item):
            classes.add(int(item[0]))
        elif isinstance(item, str) and item in {o.value for o in Outcome}:
            outcomes.add(Outcome(item))
        else:
            words = [o.value for o in Outcome]
            close = difflib.get_close_matches(str(item), words, n=1, cutoff=0.6) if isinstance(item, str) else []
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(key, f"expected {_STATUS_EXPECTED}, got {describe(item)}{hint}")
            ok = False
    return Status(codes=frozenset(codes), classes=frozenset(classes), outcomes=frozenset(outcomes)) if ok else None


def _value(problems: Problems, key: str, subject: str, table: Mapping[str, Any],
           conditions: list[str]) -> Answer | None:
    if len(conditions) > 1:
        problems.add(key, f"give one of equals, matches, present (got {', '.join(conditions)})")
        return None
    raw = table[subject]
    if not isinstance(raw, str) or not raw:
        problems.add(f"{key}.{subject}", f"expected a {'header name' if subject == 'header' else 'JSON path'} "
                                         f"(a string), got {describe(raw)}")
        return None
    equals = matches = None
    present = True
    if "equals" in table:
        equals = table["equals"]
        allowed = (str,) if subject == "header" else (str, int, float, bool)
        if not isinstance(equals, allowed) or (isinstance(equals, float) and not math.isfinite(equals)):
            what = "a string (header values are text)" if subject == "header" else "a string, number or boolean"
            problems.add(f"{key}.equals", f"expected {what}, got {describe(equals)}")
            return None
    elif "matches" in table:
        matches = _pattern(problems, f"{key}.matches", table["matches"])
        if matches is None:
            return None
    elif "present" in table:
        present = table["present"]
        if not isinstance(present, bool):
            problems.add(f"{key}.present", f"expected true or false, got {describe(present)}")
            return None
    if subject == "header":
        if not _HEADER_NAME.fullmatch(raw):
            problems.add(f"{key}.header", f"not a valid header name: {describe(raw)}")
            return None
        return Header(name=raw.lower(), equals=equals if isinstance(equals, str) else None,
                      matches=matches, present=present)
    path = parse_json_path(problems, f"{key}.json", raw)
    return JsonValue(path=path, equals=equals, matches=matches, present=present) if path is not None else None


def parse_json_path(problems: Problems, key: str, text: str) -> JsonPath | None:
    """`meta.cache.hit`, `items[0].id`, `$.data["a.b"]`: object keys and array indices."""
    body = text[1:] if text.startswith("$") else text
    body = body[1:] if body.startswith(".") and text.startswith("$") else body
    segments: list[str | int] = []
    pos = 0
    while pos < len(body):
        match = _PATH_TOKEN.match(body, pos)
        if match is None or (pos == 0 and body.startswith(".")) or (pos > 0 and match.group(0)[0] not in ".["):
            problems.add(key, f"not a JSON path at position {pos + len(text) - len(body)} of {describe(text)} "
                              "(write keys with dots and array items as [0], e.g. \"items[0].id\")")
            return None
        name, index, _, quoted = match.groups()
        segments.append(int(index) if index is not None else quoted if quoted is not None else str(name))
        pos = match.end()
    if not segments:
        problems.add(key, f"an empty JSON path: {describe(text)}")
        return None
    return JsonPath(text=text, segments=tuple(segments))


def _pattern(problems: Problems, key: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        problems.add(key, f"expected a regular expression (a non-empty string), got {describe(value)}")
        return None
    try:
        re.compile(value)
    except re.error as exc:
        problems.add(key, f"not a valid regular expression ({exc}): {describe(value)}")
        return None
    return value


def _combination(problems: Problems, key: str, word: str, value: Any, depth: int) -> Answer | None:
    if not isinstance(value, list) or not value:
        problems.add(key, f"expected a non-empty list of answers, got {describe(value)}")
        return None
    parts = [parse_answer(problems, f"{key}[{i}]", item, depth=depth + 1) for i, item in enumerate(value)]
    if any(p is None for p in parts):
        return None
    kept = tuple(p for p in parts if p is not None)
    return AllOf(parts=kept) if word == "all" else AnyOf(parts=kept)
