"""What a response leaves on the timeline: only what the answers read, absent kept apart from null."""

from __future__ import annotations

import json

import httpx
from support.answers import answer, json_path

from chaos.answers import JSON_LIMIT_BYTES, NOTHING, Capture, capture_of, extract
from chaos.answers.capture import TEXT_LIMIT_BYTES, compiled_pattern, header_key, json_key, pattern_key

DOC = {"ok": True, "one": 1, "ratio": 0.5, "none": None, "text": "t" * 500, "meta": {"cache": {"hit": "yes"}},
       "items": [{"id": 7}, {"id": 8}], "empty": [], "a.b": "dotted", "0": "zero-key"}
BODY = json.dumps(DOC).encode()


def seen_of(*paths: str, headers: dict[str, str] | None = None, content: bytes = BODY,
            patterns: frozenset[str] = frozenset()) -> dict[str, object]:
    capture = Capture(headers=frozenset(headers or ()), json_paths=frozenset(json_path(p) for p in paths),
                      patterns=patterns)
    return dict(extract(capture, headers=httpx.Headers(headers or {}), content=content))


def test_capture_of_collects_what_every_node_reads() -> None:
    spec = answer({"all": [{"status": 200}, {"header": "X-Cache", "equals": "HIT"},
                           {"any": [{"json": "meta.degraded", "equals": True}, {"body_matches": "fallback"}]},
                           {"not": {"header": "Retry-After"}}]})
    assert capture_of(spec) == Capture(headers=frozenset({"x-cache", "retry-after"}),
                                       json_paths=frozenset({json_path("meta.degraded")}),
                                       patterns=frozenset({"fallback"}))
    assert capture_of(answer([503, "refused"])) == NOTHING   # a status needs nothing of the body
    assert capture_of(None, answer({"header": "ETag"}), None) == Capture(headers=frozenset({"etag"}))
    assert capture_of() == NOTHING
    assert not NOTHING
    assert Capture(patterns=frozenset({"x"}))
    both = Capture(headers=frozenset({"a"})) | Capture(headers=frozenset({"b"}), patterns=frozenset({"p"}))
    assert both == Capture(headers=frozenset({"a", "b"}), patterns=frozenset({"p"}))


def test_keys_name_the_extractor() -> None:
    assert header_key("X-Cache") == "header:x-cache"
    assert json_key(json_path("$.items[0].id")) == "json:$.items[0].id"   # as written by the user
    assert pattern_key("^ok") == "match:^ok"


def test_json_scalars_are_kept_and_null_is_not_absent() -> None:
    seen = seen_of("ok", "one", "ratio", "none", "missing", "meta.cache.hit", "meta.nope.deeper")
    assert seen == {"json:ok": True, "json:one": 1, "json:ratio": 0.5, "json:none": None,
                    "json:meta.cache.hit": "yes"}
    assert "json:missing" not in seen        # absent: no key at all
    assert seen["json:none"] is None         # JSON null: the key, with None
    assert seen["json:ok"] is True           # a boolean stays a boolean
    assert type(seen["json:one"]) is int     # and 1 stays a number


def test_composite_values_are_named_not_copied_and_strings_are_cut() -> None:
    seen = seen_of("meta", "items", "empty", "text")
    assert seen == {"json:meta": "<object>", "json:items": "<array>", "json:empty": "<array>",
                    "json:text": "t" * 200}


def test_array_items_quoted_keys_and_a_leading_dollar() -> None:
    seen = seen_of("items[1].id", "$.items[0].id", "items[2].id", 'a["a.b"]', '["a.b"]', "items.0.id", "0")
    assert seen == {"json:items[1].id": 8, "json:$.items[0].id": 7, 'json:["a.b"]': "dotted",
                    "json:items.0.id": 7,   # a digit key on an array reads the item
                    "json:0": "zero-key"}   # and on an object, the key "0"
    assert seen_of("[0]", content=b'[{"id": 1}, 2]') == {"json:[0]": "<object>"}


def test_no_json_value_from_a_body_that_is_not_json_or_too_large() -> None:
    assert seen_of("ok", content=b"<html>ok</html>") == {}
    assert seen_of("ok", content=b"") == {}
    assert seen_of("ok", content=b"\xff\xfe garbage") == {}
    assert seen_of("x", content=b"[" * 100_000 + b"]" * 100_000) == {}   # too deep for the parser: no value
    assert seen_of("n", content=b'{"n": ' + b"9" * 5000 + b"}") == {}    # beyond int's digit limit
    padded = json.dumps({"ok": True, "pad": "p" * JSON_LIMIT_BYTES}).encode()
    assert len(padded) > JSON_LIMIT_BYTES
    assert seen_of("ok", content=padded) == {}
    assert seen_of("ok", content=json.dumps({"ok": True, "pad": "p" * 1000}).encode()) == {"json:ok": True}


def test_headers_are_found_whatever_their_case_and_cut() -> None:
    capture = capture_of(answer({"header": "X-Cache"}), answer({"header": "x-long"}), answer({"header": "x-gone"}))
    headers = httpx.Headers({"x-CACHE": "HIT", "X-Long": "v" * 300})
    assert extract(capture, headers=headers, content=b"") == {"header:x-cache": "HIT", "header:x-long": "v" * 200}


def test_patterns_keep_their_match_within_the_first_64_kib() -> None:
    patterns = frozenset({"deg[a-z]+", "late", "z+"})
    body = b"served degraded " + b"z" * 300 + b" " * TEXT_LIMIT_BYTES + b"late"
    assert seen_of(content=body, patterns=patterns) == {"match:deg[a-z]+": "degraded", "match:z+": "z" * 200}
    assert seen_of(content="caf\u00e9 degraded".encode(), patterns=patterns) == {"match:deg[a-z]+": "degraded"}
    assert compiled_pattern("z+") is compiled_pattern("z+")   # compiled once
