"""Request bodies decoded within limits: size, nesting depth, number length, valid Unicode.

Every limit answers 400 (413 for the size) `bad request body: ...` before anything changes. Each
stands where a fuzz run found a 500 or a state that could no longer be listed: JSON nested 100,000
deep (Python's decoder recurses), integers of more than 4,300 digits (`int()` refuses them), a
lone UTF-16 surrogate in a string (stored, then impossible to encode in every listing), and the
non-JSON constants `NaN` and `Infinity` that Python's decoder accepts and Go's refuses.

The limits are far above anything a Toxiproxy client sends: a populate of 1,000 proxies is about
100 KB, the deepest real body is 3 levels, and Toxiproxy's numbers are Go int64s (19 digits).
"""

from __future__ import annotations

import json
import math

from chaos.proxy.api_errors import BAD_REQUEST_BODY

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "MAX_NUMBER_CHARS", "decode"]

MAX_BODY_BYTES = 1 << 20  # 1 MiB, aiohttp's default, stated here so the API's 413 can say it
MAX_DEPTH = 32  # arrays and objects inside each other
MAX_NUMBER_CHARS = 32  # an int64 is at most 20 characters with its sign; floats get some room


def decode(body: bytes) -> object:
    """The first JSON value of `body` (Go's decoder reads one value and ignores the rest)."""
    try:
        text = body.decode("utf-8").lstrip()
    except UnicodeDecodeError as exc:
        raise BAD_REQUEST_BODY.error(f"invalid UTF-8: {exc}") from exc
    if not text:
        raise BAD_REQUEST_BODY.error("EOF")
    decoder = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)
    try:
        value, _ = decoder.raw_decode(text)
    except json.JSONDecodeError as exc:
        raise BAD_REQUEST_BODY.error(str(exc)) from exc
    except RecursionError as exc:  # deeper than Python's stack: far past MAX_DEPTH
        raise BAD_REQUEST_BODY.error(f"nested deeper than {MAX_DEPTH} levels") from exc
    _check(value)
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BAD_REQUEST_BODY.error(f"number of {len(text)} characters, more than {MAX_NUMBER_CHARS}")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BAD_REQUEST_BODY.error(f"number of {len(text)} characters, more than {MAX_NUMBER_CHARS}")
    value = float(text)
    if not math.isfinite(value):
        raise BAD_REQUEST_BODY.error(f"number {text} out of range")
    return value


def _constant(text: str) -> object:
    raise BAD_REQUEST_BODY.error(f"{text} is not JSON")


def _check(value: object) -> None:
    """Depth and string checks, iteratively (the value may be as deep as the decoder allowed)."""
    todo: list[tuple[object, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, str):
            _check_str(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BAD_REQUEST_BODY.error(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_str(key)
                    todo.append((child, depth + 1))
            else:
                todo.extend((child, depth + 1) for child in item)


def _check_str(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # only a lone surrogate (\ud800 to \udfff) gets here
        raise BAD_REQUEST_BODY.error(f"string with a lone UTF-16 surrogate {text[exc.start]!a}") from exc
