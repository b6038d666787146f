"""Mutated target files for fuzzing the loader: the reference target (fixtures/sut/chaos.toml) with its
values, keys, types and nesting changed, hostile values put in (huge numbers, nan, NUL, unicode, URLs
that are not, deep nesting), or its bytes garbled.

Every draw comes from one `random.Random`, so a seed replays a file exactly (the property test passes
hypothesis's own `randoms()`, the bench script a seeded `Random`). The TOML writer is small and
strict: what it writes parses, unless a mutation garbles the text on purpose.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["REFERENCE", "Mutation", "mutate", "to_toml"]

REFERENCE: Final = Path(__file__).resolve().parents[2] / "fixtures" / "sut" / "chaos.toml"
_TEXT: Final = REFERENCE.read_text()
_DATA: Final = tomllib.loads(_TEXT)


class Raw(str):
    """A TOML token written as is (an integer too long for `str(int)`, a garbled number)."""


@dataclass(frozen=True, slots=True)
class Mutation:
    """One mutated file: what was done to it (to read a failure), and its bytes."""

    steps: tuple[str, ...]
    content: bytes


_STRINGS: Final = (
    "", " ", "\x00", "a\x00b", "\n", "http://127.0.0.1:{port}\n", "{", "}", "{{", "{}", "{ port }", "{env.}",
    "{env.MISSING}", "{env.CHAOS_TOKEN}", "{postgres.url}", "{nope.url}", "{python", "http://[::1:{port}",
    "http://[]:{port}", "http://10.0.0.1:{port}", "http://[::1]:{port}", "ftp://x", "http://127.0.0.1:99999",
    "/dev/null", "../../../../../../etc/passwd", "/", ".", "..", "GET", "GET /x y", "FETCH /x", "get /x",
    "POST /api/bookings?x={unique}", "\u202eevil", "caf\u00e9", "\U0001f642", "\u0301", "\ufeff", "\u2028",
    "5xx", "refused", "reset", "timeout", "6xx", "refuse", "redis", "postgres", "external", "service",
    "a" * 300, "b" * 5000, "c" * 200_000, "(", "[", "meta..degraded", "$", "$.a[0]", "X-Cache", "X Cache",
)
_NAMES: Final = ("service", "dependencies", "answers", "load", "contracts", "guards", "command", "cwd", "url",
                 "health", "ready", "env", "headers", "stubs", "kind", "request", "dependency", "defects",
                 "healthy", "not_ready", "cached", "degraded", "failed_fast", "locked", "won", "lost", "line",
                 "json", "form", "text", "status", "header", "equals", "matches", "present", "not", "all", "any",
                 "recover_within_s", "pool_timeout_s", "locked_status", "processes", "probes", "error_rate",
                 "readiness", "booking_race", "graceful_drain", "env", "path", "method", "delay_ms")


def mutate(rng: random.Random) -> Mutation:
    """A mutation of the reference target: mostly structured (it still parses as TOML and reaches the
    validator), sometimes its text garbled (the parser's turn)."""
    data = copy.deepcopy(_DATA)
    steps: list[str] = []
    for _ in range(rng.randint(1, 5)):
        steps.append(_structured(rng, data))
    text = to_toml(data) if rng.random() < 0.85 else _TEXT
    content = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.25:
        for _ in range(rng.randint(1, 3)):
            step, content = _garble(rng, content)
            steps.append(step)
    return Mutation(steps=tuple(steps), content=content)


# --- structured mutations --------------------------------------------------------------------------

def _structured(rng: random.Random, data: dict[str, Any]) -> str:
    path, parent, key = _pick(rng, data)
    op = rng.choice(("replace", "replace", "replace", "delete", "add", "retype", "nest", "copy"))
    where = ".".join(str(p) for p in path) or "<root>"
    if op == "delete" and parent is not None and key is not None:
        del parent[key]
        return f"delete {where}"
    if op == "add" or parent is None or key is None:
        target = _container(rng, data, path)
        name = _key(rng)
        if isinstance(target, list):
            target.append(_value(rng))
        else:
            target[name] = _value(rng)
        return f"add {where}.{name!r}"
    if op == "retype":
        old = parent[key]
        parent[key] = rng.choice(([old], {"x": old}, str(old)[:100], True))
        return f"retype {where}"
    if op == "nest":   # written as text: the writer stays shallow however deep the file is
        depth = rng.choice((2, 8, 31, 32, 33, 64, 500, 5000))
        opening, closing = ("[", "]") if rng.random() < 0.5 else ("{ n = ", " }")
        parent[key] = Raw(opening * depth + _toml_value(rng.choice((1, "x", 503))) + closing * depth)
        return f"nest {where} x{depth}"
    if op == "copy" and isinstance(data.get("contracts"), dict) and data["contracts"]:
        contracts = data["contracts"]
        source = rng.choice(sorted(contracts))
        contracts[rng.choice(("readiness", "booking_race", "graceful_drain", _key(rng)))] = copy.deepcopy(
            contracts[source])
        return f"copy [contracts.{source}]"
    parent[key] = _like(rng, parent[key]) if rng.random() < 0.5 else _value(rng)
    return f"replace {where}"


def _pick(rng: random.Random, data: dict[str, Any]) -> tuple[list[str | int], Any, str | int | None]:
    """A random place in the document: its path, its container and its key (None, None at the root)."""
    path: list[str | int] = []
    parent: Any = None
    key: str | int | None = None
    node: Any = data
    while isinstance(node, dict | list) and node and (not path or rng.random() < 0.7):
        parent = node
        if isinstance(node, dict):
            name = rng.choice(list(node))
            key, node = name, node[name]
        else:
            index = rng.randrange(len(node))
            key, node = index, node[index]
        path.append(key)
    return path, parent, key


def _container(rng: random.Random, data: dict[str, Any], path: list[str | int]) -> dict[str, Any] | list[Any]:
    node: Any = data
    found: dict[str, Any] | list[Any] = data
    for step in path:
        node = node[step]
        if isinstance(node, dict | list):
            found = node
    return found if rng.random() < 0.8 else data


def _key(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.5:
        name = rng.choice(_NAMES)
        if rng.random() < 0.5 and len(name) > 2:   # a typo: one letter dropped
            i = rng.randrange(len(name))
            name = name[:i] + name[i + 1:]
        return name
    if choice < 0.8:
        return _unicode(rng, rng.randint(0, 12))
    return rng.choice(("", " ", "a.b", "\x00", "k" * 10_000, "[x]", "\U0001f642", "env"))


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(13 if depth < 3 else 9)
    if kind == 0:
        return rng.choice((0, 1, -1, 2, 5, 99, 100, 503, 599, 600, 1_000_000, 1_000_001, 3_600_001, 2**63, -(2**63)))
    if kind == 1:
        return Raw(rng.choice(("9" * 20, "9" * 400, "9" * 4301, "9" * 5000, "-" + "1" * 4400, "1_000", "0x1F",
                               "0o7", "0b1", "+inf", "-nan", "1e999", "-1e999", "1_", "00", "1.e2")))
    if kind == 2:
        return rng.choice((float("nan"), float("inf"), float("-inf"), 1e308, 5e-324, -0.0, 0.5, 2.5, 1e-9))
    if kind == 3:
        return rng.random() < 0.5
    if kind in (4, 5):
        return rng.choice(_STRINGS)
    if kind == 6:
        return _unicode(rng, rng.randint(0, 40))
    if kind == 7:
        return rng.choice((datetime.date(2024, 1, 2), datetime.time(3, 4, 5, 6),
                           datetime.datetime(1, 1, 1, 0, 0), datetime.datetime(2024, 1, 2, 3, 4, 5,
                                                                                tzinfo=datetime.UTC)))
    if kind == 8:
        return rng.choice(([], {}, [[]], [{}], ["a", 1], [1, [2, [3]]]))
    if kind == 9:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == 10:
        return {_key(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if kind == 11:   # shaped like an answer, a request or a stub, so the validators go deep
        return rng.choice((
            {"status": _value(rng, depth + 1)}, {"json": _value(rng, depth + 1), "equals": _value(rng, depth + 1)},
            {"header": _value(rng, depth + 1), "matches": _value(rng, depth + 1)},
            {"not": _value(rng, depth + 1)}, {"any": [_value(rng, depth + 1)]}, {"all": [503, "refused"]},
            {"line": _value(rng, depth + 1), "json": _value(rng, depth + 1)},
            {"line": "POST /x", "form": _value(rng, depth + 1), "headers": {_key(rng): _value(rng, depth + 1)}},
            {"path": _value(rng, depth + 1), "status": _value(rng, depth + 1), "delay_ms": _value(rng, depth + 1)},
        ))
    answer: Any = 503
    for _ in range(rng.choice((1, 8, 9, 40))):
        answer = {"not": answer}
    return answer


def _like(rng: random.Random, old: Any) -> Any:
    """A hostile value of the kind the validator expects there: numbers where a number was, strings
    where a string was, so the checks behind the type check are reached."""
    if isinstance(old, int | float) and not isinstance(old, bool):
        return rng.choice((Raw("9" * 400), Raw("9" * 4301), Raw("1e999"), Raw("-1e999"), float("nan"), float("inf"),
                           float("-inf"), 0, -1, -0.0, 1e308, 5e-324, 2**63, 1_000_001, 3_600_001, True, "1s", "5"))
    if isinstance(old, str):
        return rng.choice((*_STRINGS, old + "\n", old + "\x00", old.upper(), old[:-1], old * 2000,
                           "{" + old + "}", old.replace("/", "\\")))
    if isinstance(old, list):
        return rng.choice(([], [old], old * 200, [*old, 1], [_value(rng)]))
    if isinstance(old, dict):
        return {**old, _key(rng): _value(rng)}
    return _value(rng)


def _unicode(rng: random.Random, length: int) -> str:
    chars = []
    for _ in range(length):
        code = rng.choice((rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0x10000, 0x10FFFF)))
        chars.append(chr(code if not 0xD800 <= code <= 0xDFFF else 0xFFFD))   # TOML is UTF-8: no surrogates
    return "".join(chars)


# --- text mutations --------------------------------------------------------------------------------

def _garble(rng: random.Random, content: bytes) -> tuple[str, bytes]:
    op = rng.choice(("insert", "delete", "duplicate", "swap", "truncate", "flip", "brackets"))
    at = rng.randrange(len(content) + 1)
    if op == "insert":
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        return f"insert {len(noise)} bytes at {at}", content[:at] + noise + content[at:]
    if op == "delete":
        end = min(len(content), at + rng.randint(1, 200))
        return f"delete bytes {at}..{end}", content[:at] + content[end:]
    lines = content.split(b"\n")
    if op == "duplicate" and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return f"duplicate line {i}", b"\n".join(lines)
    if op == "swap" and len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return f"swap lines {i} and {j}", b"\n".join(lines)
    if op == "truncate":
        return f"truncate at {at}", content[:at]
    if op == "flip" and content:
        i = rng.randrange(len(content))
        return f"flip byte {i}", content[:i] + bytes([content[i] ^ (1 << rng.randrange(8))]) + content[i + 1:]
    n = rng.choice((10, 1000, 50_000))
    return f"{n} brackets at {at}", content[:at] + b"x = " + b"[" * n + b"]" * n + b"\n" + content[at:]


# --- a small TOML writer -----------------------------------------------------------------------------

def to_toml(data: dict[str, Any]) -> str:
    """`data` as TOML: one `key = value` line per top-level key, tables inline."""
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items())


def _toml_key(key: str) -> str:
    return _toml_string(str(key))


def _toml_string(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML wants DEL escaped too
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")
