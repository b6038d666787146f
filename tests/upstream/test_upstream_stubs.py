"""Stubs as values, without a server: path globs, method, precedence, validation and the wire format."""

from __future__ import annotations

import pytest

from chaos.upstream.stubs import MAX_BODY_BYTES, InvalidStub, Stub, first_match, match_index, stubs_from_wire


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("/v1/rates", "/v1/rates", True),
    ("/v1/rates", "/v1/rates/", False),
    ("/v1/rates", "/v1/rate", False),
    ("/v1/rates", "/v1/ratesX", False),
    ("/v1/rates/*", "/v1/rates/EUR", True),
    ("/v1/rates/*", "/v1/rates/EUR/history", False),   # one segment only
    ("/v1/rates/*", "/v1/rates/", False),              # and not an empty one
    ("/v1/rates/*", "/v1/rates", False),
    ("/v1/*/history", "/v1/EUR/history", True),
    ("/api/**", "/api", True),                          # any number of segments, even none
    ("/api/**", "/api/", True),
    ("/api/**", "/api/a/b/c", True),
    ("/api/**", "/apiv2", False),
    ("/api/**/items", "/api/items", True),
    ("/api/**/items", "/api/a/b/items", True),
    ("/api/**/items", "/api/a/b/items/1", False),
    ("/**", "/", True),
    ("/**", "/anything/at/all", True),
    ("/a.b", "/aXb", False),                            # literal segments are not regular expressions
])
def test_path_globs(pattern: str, path: str, expected: bool) -> None:
    assert Stub(path=pattern).matches("GET", path) is expected


def test_method_matching() -> None:
    any_method = Stub(path="/x")
    get_only = Stub(path="/x", method="get")   # any case on the way in, upper-case once built
    assert get_only.method == "GET"
    assert all(any_method.matches(m, "/x") for m in ("GET", "POST", "DELETE"))
    assert get_only.matches("GET", "/x")
    assert get_only.matches("get", "/x")
    assert not get_only.matches("POST", "/x")


def test_first_declared_stub_wins() -> None:
    specific = Stub(path="/v1/rates/EUR", json={"rate": 1.1})
    general = Stub(path="/v1/rates/*", json={"rate": 0})
    fallback = Stub(path="/**", status=404, json={"error": "nope"})
    stubs = [specific, general, fallback]
    assert first_match(stubs, "GET", "/v1/rates/EUR") is specific
    assert first_match(stubs, "GET", "/v1/rates/USD") is general
    assert match_index(stubs, "GET", "/other") == 2
    assert first_match([general, specific], "GET", "/v1/rates/EUR") is general   # order, not specificity
    assert first_match([specific], "GET", "/other") is None
    assert match_index([], "GET", "/") is None


@pytest.mark.parametrize(("kwargs", "field", "needle"), [
    ({"path": "v1/rates"}, "path", 'starting with "/"'),
    ({"path": 7}, "path", 'starting with "/"'),
    ({"path": "/v1/rates?x=1"}, "path", "query string"),
    ({"path": "/v1/rates*"}, "path", "whole segments"),
    ({"path": "/x", "method": "GTE"}, "method", "did you mean GET?"),
    ({"path": "/x", "method": 1}, "method", "expected one of"),
    ({"path": "/x", "status": 199}, "status", "200..599"),
    ({"path": "/x", "status": 600}, "status", "200..599"),
    ({"path": "/x", "status": "200"}, "status", "200..599"),
    ({"path": "/x", "status": True}, "status", "200..599"),
    ({"path": "/x", "headers": ["a"]}, "headers", "object of strings"),
    ({"path": "/x", "headers": {"Bad Name": "v"}}, "headers", "not a valid header name"),
    ({"path": "/x", "headers": {"X-A": 1}}, "headers", "one-line string"),
    ({"path": "/x", "headers": {"X-A": "a\r\nSet-Cookie: x"}}, "headers", "one-line string"),
    ({"path": "/x", "headers": {"content-type": "text/html"}}, "headers", "goes in content_type"),
    ({"path": "/x", "headers": {"Content-Length": "3"}}, "headers", "set by the server"),
    ({"path": "/x", "json": {"a": float("nan")}}, "json", "cannot be rendered"),
    ({"path": "/x", "json": {1, 2}}, "json", "cannot be rendered"),
    ({"path": "/x", "json": 1, "text": "a"}, "text", "cannot be combined with json"),
    ({"path": "/x", "text": b"bytes"}, "text", "expected a string"),
    ({"path": "/x", "status": 204, "json": {}}, "json", "without a body"),
    ({"path": "/x", "content_type": "text/html"}, "content_type", "without a body"),
    ({"path": "/x", "text": "a", "content_type": ""}, "content_type", "media type"),
    ({"path": "/x", "delay_ms": -1}, "delay_ms", ">= 0"),
    ({"path": "/x", "delay_ms": 1.5}, "delay_ms", ">= 0"),
])
def test_bad_values_name_the_field(kwargs: dict[str, object], field: str, needle: str) -> None:
    with pytest.raises(InvalidStub) as info:
        Stub(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert needle in info.value.problem
    assert str(info.value).startswith(f"{field}: ")


def test_body_size_limit_is_on_the_rendered_body() -> None:
    quotes = 2   # a JSON string renders with its quotes
    assert len(Stub(path="/x", json="a" * (MAX_BODY_BYTES - quotes)).body) == MAX_BODY_BYTES
    with pytest.raises(InvalidStub, match=r"^json: 1048577 bytes rendered, more than 1048576"):
        Stub(path="/x", json="a" * (MAX_BODY_BYTES - quotes + 1))
    assert len(Stub(path="/x", text="é" * (MAX_BODY_BYTES // 2)).body) == MAX_BODY_BYTES   # bytes, not chars
    with pytest.raises(InvalidStub, match=r"^text: "):
        Stub(path="/x", text="é" * (MAX_BODY_BYTES // 2) + "a")


def test_bodies_and_their_content_types() -> None:
    assert (Stub(path="/x", json={"a": [1]}).body, Stub(path="/x", json={"a": [1]}).media_type) == (
        b'{"a": [1]}', "application/json")
    assert Stub(path="/x", json=False).body == b"false"   # only None means "no JSON body"
    assert Stub(path="/x", text="hi").media_type == "text/plain; charset=utf-8"
    assert Stub(path="/x", text="<p/>", content_type="text/html").media_type == "text/html"
    assert (Stub(path="/x", status=204).body, Stub(path="/x", status=204).media_type) == (b"", None)


def test_wire_round_trip_and_defaults() -> None:
    stub = Stub(path="/v1/rates/*", method="POST", status=201, headers={"X-Req": "1"}, json=[{"a": None}],
                content_type="application/vnd.api+json", delay_ms=5)
    assert Stub.from_wire(stub.to_wire()) == stub
    assert Stub.from_wire({"path": "/x"}) == Stub(path="/x")
    assert Stub(path="/x").to_wire() == {"path": "/x", "method": None, "status": 200, "headers": {}, "json": None,
                                         "text": None, "content_type": None, "delay_ms": 0}


def test_headers_cannot_change_after_load() -> None:
    given = {"X-A": "1"}
    stub = Stub(path="/x", headers=given)
    given["X-A"] = "2"
    assert stub.headers["X-A"] == "1"
    with pytest.raises(TypeError):
        stub.headers["X-A"] = "3"  # type: ignore[index]


@pytest.mark.parametrize(("data", "message"), [
    ([], "<stub>: expected a JSON object, got list"),
    ({"method": "GET"}, 'path: required, e.g. "/v1/rates" or "/api/**"'),
    ({"path": "/x", "delay": 5}, "delay: unknown field (did you mean delay_ms?)"),
    ({"path": "/x", "zzz": 5}, "zzz: unknown field (known: path, method, status, headers, json, text, "
                               "content_type, delay_ms)"),
    ({"path": "/x", "body": "x"}, "body: unknown field"),   # rendered, never given
])
def test_from_wire_refusals(data: object, message: str) -> None:
    with pytest.raises(InvalidStub) as info:
        Stub.from_wire(data)
    assert str(info.value).startswith(message)


def test_a_list_names_the_index_of_the_bad_stub() -> None:
    assert stubs_from_wire({"stubs": []}) == ()
    assert stubs_from_wire({"stubs": [{"path": "/a"}]}) == (Stub(path="/a"),)
    with pytest.raises(InvalidStub, match=r"^stubs\[1\]\.status: expected an HTTP status"):
        stubs_from_wire({"stubs": [{"path": "/a"}, {"path": "/b", "status": 700}]})
    bad_documents: list[object] = [[{"path": "/a"}], {"stub": []}, {"stubs": {"path": "/a"}},
                                   {"stubs": [], "extra": 1}]
    for bad in bad_documents:
        with pytest.raises(InvalidStub, match=r'^stubs: expected a JSON object \{"stubs"'):
            stubs_from_wire(bad)
