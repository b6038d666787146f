"""Reading the requests and header tables of a target file, as real clients send them.

    request = "GET /api/items?page=1"
    request = { line = "POST /api/bookings", json = { slot = "s-{unique}" }, headers = { X-Request = "{unique}" } }
    request = { line = "POST /login", form = { user = "a", password = "b" } }
    request = { line = "PUT /api/notes/1", text = "hello", content_type = "text/markdown" }

    [service.headers]                  # every request the suite sends to the service
    Authorization = "Bearer {env.API_TOKEN}"

Header values may use `{env.NAME}`; credentials are remembered as secrets (masked in every output).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from chaos.targetfile._fields import Problems, describe
from chaos.targetfile._templating import TemplateScope, looks_secret
from chaos.targetfile.model import RequestTemplate

__all__ = ["REQUEST_KEYS", "frozen_json", "parse_headers", "parse_request", "plain_json"]

REQUEST_KEYS: Final = ("line", "json", "form", "text", "content_type", "headers")
_LINE: Final = re.compile(r"([A-Za-z][A-Za-z0-9-]*) (/\S*)")
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BODIES: Final = ("json", "form", "text")
_MAX_HEADER_VALUE: Final = 8192


def parse_headers(problems: Problems, key: str, value: Any, scope: TemplateScope) -> Mapping[str, str]:
    """A header table (names as written, values with `{env.NAME}` resolved); bad entries are problems."""
    if not isinstance(value, Mapping):
        problems.add(key, f"expected a table of header names and values, got {describe(value)}")
        return MappingProxyType({})
    headers: dict[str, str] = {}
    for name, raw in value.items():
        where = f"{key}.{name}" if _HEADER_NAME.fullmatch(str(name)) else f"{key}.{describe(name)}"
        if not _HEADER_NAME.fullmatch(str(name)):
            problems.add(where, "not a valid header name (letters, digits and !#$%&'*+.^_`|~-)")
            continue
        if not isinstance(raw, str):
            problems.add(where, f"expected a string (quote it), got {describe(raw)}")
            continue
        resolved = scope.check(problems, where, raw, literal_only=True)
        if resolved is None:
            continue
        if any(c in resolved for c in "\r\n\0") or len(resolved) > _MAX_HEADER_VALUE:
            problems.add(where, f"a header value must be one line of at most {_MAX_HEADER_VALUE} characters")
            continue
        if looks_secret(str(name)):
            scope.remember_secret(resolved)
        headers[str(name)] = resolved
    return MappingProxyType(headers)


def parse_request(problems: Problems, key: str, value: Any, scope: TemplateScope) -> RequestTemplate | None:
    """A request: a line "METHOD /path?query", or a table with `line` and at most one body."""
    if isinstance(value, str):
        return _line(problems, key, value)
    if not isinstance(value, Mapping):
        problems.add(key, 'expected a request line such as "GET /api/items?page=1", or a table '
                          f'{{ line = "POST /api/x", json = {{ ... }} }}, got {describe(value)}')
        return None
    problems.unknown_keys(value, key, REQUEST_KEYS)
    if "line" not in value:
        problems.add(f"{key}.line", 'missing (required: the request line, e.g. "POST /api/bookings")')
        return None
    line = _line(problems, f"{key}.line", value["line"])
    bodies = [b for b in _BODIES if b in value]
    if len(bodies) > 1:
        problems.add(key, f"give at most one body: {' or '.join(_BODIES)} (got {', '.join(bodies)})")
        return None
    form = _form(problems, f"{key}.form", value["form"]) if "form" in value else None
    text = value.get("text")
    if text is not None and not isinstance(text, str):
        problems.add(f"{key}.text", f"expected a string, got {describe(text)}")
        return None
    content_type = value.get("content_type")
    if content_type is not None and (not isinstance(content_type, str) or not content_type or text is None):
        problems.add(f"{key}.content_type", "a content type (a string) goes with a text body")
        return None
    headers = parse_headers(problems, f"{key}.headers", value["headers"], scope) if "headers" in value \
        else MappingProxyType({})
    if line is None or ("form" in value and form is None):
        return None
    return RequestTemplate(method=line.method, target=line.target, json=frozen_json(value.get("json")), form=form,
                           text=text, content_type=content_type, headers=headers)


def _line(problems: Problems, key: str, value: Any) -> RequestTemplate | None:
    match = _LINE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        problems.add(key, f'expected a request line such as "GET /api/items?page=1", got {describe(value)}')
        return None
    return RequestTemplate(method=match.group(1).upper(), target=match.group(2))


def _form(problems: Problems, key: str, value: Any) -> Mapping[str, str] | None:
    if not isinstance(value, Mapping) or not all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                                 for v in value.values()):
        problems.add(key, f"expected a table of field names and strings or numbers, got {describe(value)}")
        return None
    return MappingProxyType({str(k): str(v) for k, v in value.items()})


def plain_json(value: Any) -> Any:
    """A TOML value as JSON-compatible data: TOML dates and times (JSON has none) become ISO 8601."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def frozen_json(value: Any) -> Any:
    """`plain_json`, read-only: tables become mappings that cannot change, arrays tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): frozen_json(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen_json(v) for v in value)
    return plain_json(value)
