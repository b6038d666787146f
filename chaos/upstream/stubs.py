"""How the real external API answers, per route: `Stub`s the fake external API serves as its baseline.

Wire format (`PUT /__chaos/stubs`, `python -m chaos.upstream --stubs FILE`): `{"stubs": [STUB, ...]}`,
each STUB an object with `path` (required) and any of `method`, `status`, `headers`, `json`, `text`,
`content_type`, `delay_ms` (the fields of `Stub`). A path is exact ("/v1/rates") or a glob of whole
segments: `*` is one non-empty segment, `**` any number of segments, even none ("/api/**" matches
"/api", "/api/" and "/api/a/b"; "/**" every path). The query string never takes part. The first
declared stub that matches answers; faults act on top of it (see `chaos.upstream.server`).

Validated here, where the target file is loaded and where the server receives them, so one
`InvalidStub` naming the field serves both; this module stays free of aiohttp for the loader.
"""

from __future__ import annotations

import difflib
import json as jsonlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

__all__ = ["MAX_BODY_BYTES", "METHODS", "InvalidStub", "Stub", "first_match", "match_index", "stubs_from_wire"]

MAX_BODY_BYTES = 1 << 20   # a rendered body; a fake API answer, not a file server
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_BODYLESS = (204, 304)
# aiohttp frames the answer itself; Content-Type has its own field so it has one source.
_RESERVED_HEADERS = {"content-length": "is set by the server", "transfer-encoding": "is set by the server",
                     "connection": "is set by the server", "content-type": "goes in content_type"}
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class InvalidStub(ValueError):
    """A stub has a value the server cannot serve; `field` names it (`stubs[i].field` in a list)."""

    def __init__(self, *, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Stub:
    """One route of the fake external API and its answer (see the module docstring for `path`)."""

    path: str
    method: str | None = None                 # None: any method; else one of METHODS (any case)
    status: int = 200                         # 200..599
    headers: Mapping[str, str] = field(default_factory=dict)
    json: object = None                       # any JSON value; None: no JSON body
    text: str | None = None                   # a text body instead of json
    content_type: str | None = None           # default: application/json or text/plain; charset=utf-8
    delay_ms: int = 0                         # added before this stub's answer (ms), after any latency
    body: bytes = field(init=False, repr=False, compare=False)          # rendered once, here
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__   # frozen: normalised values are set once, here
        set_(self, "_pattern", _compile(self.path))
        if self.method is not None:
            method = self.method.upper() if isinstance(self.method, str) else self.method
            if method not in METHODS:
                hint = difflib.get_close_matches(str(method), METHODS, n=1)
                raise InvalidStub(field="method", problem=f"expected one of {', '.join(METHODS)} or null, got "
                                  f"{self.method!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
            set_(self, "method", method)
        if isinstance(self.status, bool) or not isinstance(self.status, int) or not 200 <= self.status <= 599:
            raise InvalidStub(field="status", problem=f"expected an HTTP status 200..599, got {self.status!r}")
        if not isinstance(self.headers, Mapping):
            raise InvalidStub(field="headers", problem=f"expected an object of strings, got {self.headers!r}")
        for name, value in self.headers.items():
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise InvalidStub(field="headers", problem=f"{name!r} is not a valid header name")
            if name.lower() in _RESERVED_HEADERS:
                raise InvalidStub(field="headers", problem=f"{name} {_RESERVED_HEADERS[name.lower()]}")
            if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
                raise InvalidStub(field="headers", problem=f"{name}: expected a one-line string, got {value!r}")
        set_(self, "headers", MappingProxyType(dict(self.headers)))
        if isinstance(self.delay_ms, bool) or not isinstance(self.delay_ms, int) or self.delay_ms < 0:
            raise InvalidStub(field="delay_ms", problem=f"expected an integer >= 0, got {self.delay_ms!r}")
        if self.content_type is not None and (not isinstance(self.content_type, str)
                                              or not self.content_type or "\n" in self.content_type):
            raise InvalidStub(field="content_type", problem=f"expected a media type, got {self.content_type!r}")
        set_(self, "body", self._render())

    def _render(self) -> bytes:
        if self.text is not None and self.json is not None:
            raise InvalidStub(field="text", problem="cannot be combined with json (one body per stub)")
        if self.text is not None and not isinstance(self.text, str):
            raise InvalidStub(field="text", problem=f"expected a string, got {type(self.text).__name__}")
        name = "text" if self.text is not None else "json"
        if self.text is None and self.json is None:
            if self.content_type is not None:
                raise InvalidStub(field="content_type", problem="given without a body (json or text)")
            return b""
        if self.status in _BODYLESS:
            raise InvalidStub(field=name, problem=f"status {self.status} answers without a body")
        try:
            body = (self.text if self.text is not None else
                    jsonlib.dumps(self.json, allow_nan=False, ensure_ascii=False)).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidStub(field=name, problem=f"cannot be rendered ({exc})") from None
        if len(body) > MAX_BODY_BYTES:
            raise InvalidStub(field=name, problem=f"{len(body)} bytes rendered, more than {MAX_BODY_BYTES}")
        return body

    @property
    def media_type(self) -> str | None:
        """The Content-Type sent with the body (None: no body)."""
        if self.content_type is not None:
            return self.content_type
        if self.text is not None:
            return "text/plain; charset=utf-8"
        return None if self.json is None else "application/json"

    def matches(self, method: str, path: str) -> bool:
        """Whether a call `method path` (path without its query string) is this stub's."""
        return (self.method is None or self.method == method.upper()) and bool(self._pattern.fullmatch(path))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent in `PUT /__chaos/stubs` and returned by `GET`."""
        return {f.name: dict(self.headers) if f.name == "headers" else getattr(self, f.name)
                for f in fields(self) if f.init}

    @classmethod
    def from_wire(cls, data: object) -> Stub:
        """Parse a JSON object; a missing path or an unknown or ill-typed field raises `InvalidStub`."""
        if not isinstance(data, Mapping):
            raise InvalidStub(field="<stub>", problem=f"expected a JSON object, got {type(data).__name__}")
        known = [f.name for f in fields(cls) if f.init]
        for key in data:
            if key not in known:
                hint = difflib.get_close_matches(str(key), known, n=1)
                raise InvalidStub(field=str(key), problem="unknown field " + (
                    f"(did you mean {hint[0]}?)" if hint else f"(known: {', '.join(known)})"))
        if "path" not in data:
            raise InvalidStub(field="path", problem='required, e.g. "/v1/rates" or "/api/**"')
        return cls(**{str(k): v for k, v in data.items()})


def stubs_from_wire(data: object) -> tuple[Stub, ...]:
    """Parse `{"stubs": [...]}`; the first bad stub raises `InvalidStub` with field `stubs[i].field`."""
    if not isinstance(data, Mapping) or set(data) != {"stubs"} or not isinstance(data["stubs"], list):
        raise InvalidStub(field="stubs", problem='expected a JSON object {"stubs": [{"path": ...}, ...]}')
    stubs = []
    for i, item in enumerate(data["stubs"]):
        try:
            stubs.append(Stub.from_wire(item))
        except InvalidStub as exc:
            raise InvalidStub(field=f"stubs[{i}].{exc.field}", problem=exc.problem) from None
    return tuple(stubs)


def first_match(stubs: Sequence[Stub], method: str, path: str) -> Stub | None:
    """The first declared stub for `method path`, or None."""
    index = match_index(stubs, method, path)
    return None if index is None else stubs[index]


def match_index(stubs: Sequence[Stub], method: str, path: str) -> int | None:
    """The index of the first declared stub for `method path` (the request log records it), or None."""
    return next((i for i, s in enumerate(stubs) if s.matches(method, path)), None)


def _compile(path: object) -> re.Pattern[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidStub(field="path", problem=f'expected a path starting with "/", got {path!r}')
    if "?" in path or "#" in path:
        raise InvalidStub(field="path", problem=f"the query string is not part of the match, got {path!r}")
    parts = []
    for segment in path[1:].split("/"):
        if segment == "**":
            parts.append("(?:/[^/]*)*")
        elif segment == "*":
            parts.append("/[^/]+")
        elif "*" in segment:
            raise InvalidStub(field="path", problem=f"'*' and '**' must be whole segments, got {path!r}")
        else:
            parts.append("/" + re.escape(segment))
    return re.compile("".join(parts))
