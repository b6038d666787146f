"""Requests and header tables as real clients send them: lines, bodies, headers, {env.NAME}, secrets."""

from __future__ import annotations

import datetime
from types import MappingProxyType
from typing import Any

import pytest

from chaos.targetfile import RequestTemplate
from chaos.targetfile._fields import Problems
from chaos.targetfile._templating import TemplateScope, looks_secret
from chaos.targetfile.request_templates import frozen_json, parse_headers, parse_request, plain_json

KEY = "[contracts.x].request"
ENV = {"TOKEN": "s3cret-token", "SHORT": "ab", "CLIENT": "chaos-client"}
LINE_EXPECTED = 'expected a request line such as "GET /api/items?page=1"'


def scope() -> TemplateScope:
    return TemplateScope(["python", "port", "postgres.url"], ENV)


def request(value: Any, within: TemplateScope | None = None) -> RequestTemplate:
    problems = Problems()
    result = parse_request(problems, KEY, value, within or scope())
    assert problems.lines == [], problems.lines
    assert result is not None
    return result


def request_problems(value: Any) -> list[str]:
    problems = Problems()
    parse_request(problems, KEY, value, scope())
    return problems.lines


def headers(value: Any, within: TemplateScope | None = None) -> dict[str, str]:
    problems = Problems()
    result = parse_headers(problems, "[service].headers", value, within or scope())
    assert problems.lines == [], problems.lines
    return dict(result)


def header_problems(value: Any) -> list[str]:
    problems = Problems()
    assert parse_headers(problems, "[service].headers", value, scope()) is not None
    return problems.lines


def test_a_request_line_keeps_its_query_and_any_method() -> None:
    assert request("GET /api/items?page=1&q=a%20b") == RequestTemplate(method="GET", target="/api/items?page=1&q=a%20b")
    assert request("get /x").method == "GET"
    assert request("PROPFIND /dav").method == "PROPFIND"
    assert request("GET /api/items?page=1").path == "/api/items"
    assert str(request("DELETE /x/1")) == "DELETE /x/1"
    assert request({"line": "GET /x"}) == RequestTemplate(method="GET", target="/x")


@pytest.mark.parametrize("bad", ["GET", "GET x", "GET /a b", "/api", "GET  /x", "G@T /x", "GET /x\n", ""])
def test_bad_request_lines(bad: str) -> None:
    assert request_problems(bad) == [f"{KEY}: {LINE_EXPECTED}, got {bad!r}"]
    assert request_problems({"line": bad}) == [f"{KEY}.line: {LINE_EXPECTED}, got {bad!r}"]


def test_json_form_and_text_bodies() -> None:
    booked = request({"line": "POST /api/bookings", "json": {"slot": "s-{unique}", "tags": ["a", 1], "n": None}})
    assert booked.json == {"slot": "s-{unique}", "tags": ("a", 1), "n": None}
    assert isinstance(booked.json, MappingProxyType)   # read-only: a loaded target cannot change
    assert request({"line": "POST /x", "json": [1, {"a": "b"}]}).json == (1, {"a": "b"})
    assert request({"line": "POST /x", "json": False}).json is False
    login = request({"line": "POST /login", "form": {"user": "a", "n": 1, "ratio": 1.5}})
    assert dict(login.form or {}) == {"user": "a", "n": "1", "ratio": "1.5"}   # fields are sent as text
    note = request({"line": "PUT /notes/1", "text": "hello", "content_type": "text/markdown"})
    assert (note.text, note.content_type, note.json, note.form) == ("hello", "text/markdown", None, None)
    assert request({"line": "PUT /notes/1", "text": ""}).text == ""


def test_toml_dates_in_a_json_body_become_iso_8601() -> None:
    when = request({"line": "POST /x", "json": {"day": datetime.date(2024, 5, 1),
                                                 "at": datetime.datetime(2024, 5, 1, 12, 30)}})
    assert when.json == {"day": "2024-05-01", "at": "2024-05-01T12:30:00"}
    assert plain_json([datetime.time(7, 5)]) == ["07:05:00"]
    assert frozen_json({"a": [1, {"b": 2}]}) == {"a": (1, {"b": 2})}


@pytest.mark.parametrize(("value", "problem"), [
    (5, f'{KEY}: {LINE_EXPECTED}, or a table {{ line = "POST /api/x", json = {{ ... }} }}, got 5'),
    ({"json": {}}, f'{KEY}.line: missing (required: the request line, e.g. "POST /api/bookings")'),
    ({"line": 5}, f"{KEY}.line: {LINE_EXPECTED}, got 5"),
    ({"line": "POST /x", "json": {}, "form": {}}, f"{KEY}: give at most one body: json or form or text (got json, "
                                                  "form)"),
    ({"line": "POST /x", "json": 1, "form": {}, "text": ""}, f"{KEY}: give at most one body: json or form or text "
                                                             "(got json, form, text)"),
    ({"line": "POST /x", "form": {"a": True}}, f"{KEY}.form: expected a table of field names and strings or "
                                               "numbers, got {'a': True}"),
    ({"line": "POST /x", "form": "a=b"}, f"{KEY}.form: expected a table of field names and strings or numbers, "
                                         "got 'a=b'"),
    ({"line": "POST /x", "form": {"a": [1]}}, f"{KEY}.form: expected a table of field names and strings or "
                                              "numbers, got {'a': [1]}"),
    ({"line": "PUT /x", "text": 3}, f"{KEY}.text: expected a string, got 3"),
    ({"line": "PUT /x", "content_type": "text/plain"}, f"{KEY}.content_type: a content type (a string) goes with "
                                                       "a text body"),
    ({"line": "PUT /x", "text": "a", "content_type": ""}, f"{KEY}.content_type: a content type (a string) goes "
                                                          "with a text body"),
    ({"line": "GET /x", "jsn": {}}, f"{KEY}.jsn: unknown key; did you mean 'json'?"),
    ({"line": "GET /x", "headers": "x"}, f"{KEY}.headers: expected a table of header names and values, got 'x'"),
    ({"line": "GET /x", "body": "x"}, f"{KEY}.body: unknown key (allowed: content_type, form, headers, json, line, "
                                      "text)"),
])
def test_every_request_problem_names_its_key(value: Any, problem: str) -> None:
    assert request_problems(value) == [problem]


def test_request_headers_are_kept_as_written_with_env_resolved() -> None:
    within = scope()
    got = request({"line": "GET /x", "headers": {"X-Client": "{env.CLIENT}", "X-Request": "r-{unique}",
                                                 "X-Lit": "{{braces}}"}}, within)
    # {unique} stays for the experiment to fill per run; literal braces become plain text
    assert dict(got.headers) == {"X-Client": "chaos-client", "X-Request": "r-{unique}", "X-Lit": "{braces}"}
    with pytest.raises(TypeError):
        got.headers["X"] = "y"  # type: ignore[index]


def test_env_values_and_credential_headers_are_remembered_as_secrets() -> None:
    within = scope()
    assert headers({"Authorization": "Bearer {env.TOKEN}"}, within) == {"Authorization": "Bearer s3cret-token"}
    assert within.secrets == {"s3cret-token", "Bearer s3cret-token"}   # the value and the whole header
    within = scope()
    headers({"X-Api-Key": "literal-key-123", "Cookie": "sid=abcdef", "X-Trace": "plain-value"}, within)
    assert within.secrets == {"literal-key-123", "sid=abcdef"}        # named like a credential: masked
    within = scope()
    headers({"X-Client": "{env.CLIENT}"}, within)
    assert within.secrets == {"chaos-client"}                         # every {env.NAME} value is a secret
    within = scope()
    headers({"X-Api-Key": "abc", "X-Short": "{env.SHORT}"}, within)
    assert within.secrets == set()     # too short to mask without garbling every line


@pytest.mark.parametrize("name", ["Authorization", "Proxy-Authorization", "Cookie", "X-Auth-Token", "X-Api-Key",
                                  "api_key", "ApiKey", "X-Client-Secret", "DB_PASSWORD", "passwd", "X-Credential",
                                  "PRIVATE_KEY"])
def test_credential_like_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["Accept", "X-Request-Id", "Content-Type", "X-Cache", "User-Agent"])
def test_names_that_are_not_credentials(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize(("value", "problem"), [
    ({"X-Client": "{env.MISSING}"}, "[service].headers.X-Client: {env.MISSING}: the environment variable MISSING "
                                    "is not set (export it before running the suite)"),
    ({"X Bad": "v"}, "[service].headers.'X Bad': not a valid header name (letters, digits and !#$%&'*+.^_`|~-)"),
    ({"X": 1}, "[service].headers.X: expected a string (quote it), got 1"),
    ({"X": "{port}"}, "[service].headers.X: {port} cannot be used here: only {env.NAME} and {unique} templates are "
                      "resolved in headers"),
    ({"X": "{postgres.url}"}, "[service].headers.X: {postgres.url} cannot be used here: only {env.NAME} and "
                              "{unique} templates are resolved in headers"),
    ({"X": "a\nb"}, "[service].headers.X: a header value must be one line of at most 8192 characters"),
    ({"X": "a\rb"}, "[service].headers.X: a header value must be one line of at most 8192 characters"),
    ({"X": "x" * 8193}, "[service].headers.X: a header value must be one line of at most 8192 characters"),
    ({"X": "{bad"}, "[service].headers.X: bad template: unbalanced '{' at position 0 in '{bad' (write {{ for a "
                    "literal brace)"),
])
def test_every_header_problem_names_its_key(value: Any, problem: str) -> None:
    assert header_problems(value) == [problem]


def test_an_env_value_with_a_newline_is_refused_and_not_shown() -> None:
    problems = Problems()
    within = TemplateScope([], {"EVIL": "x\r\nX-Injected: 1"})
    assert dict(parse_headers(problems, "[service].headers", {"X": "{env.EVIL}"}, within)) == {}
    assert problems.lines == ["[service].headers.X: a header value must be one line of at most 8192 characters"]


def test_a_header_table_that_is_no_table() -> None:
    assert header_problems(["X"]) == ["[service].headers: expected a table of header names and values, got ['X']"]
    assert header_problems({"X": "a", "Y": 2, "Z": "{env.NOPE}"}) == [
        "[service].headers.Y: expected a string (quote it), got 2",
        "[service].headers.Z: {env.NOPE}: the environment variable NOPE is not set (export it before running the "
        "suite)",
    ]
