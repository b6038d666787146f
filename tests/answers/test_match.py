"""holds / shown / outcome_of: judging one recorded request, and saying what it showed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from support.answers import answer

from chaos.answers import (
    REFUSED_ERRORS,
    RESET_ERRORS,
    TIMEOUT_ERRORS,
    Header,
    Outcome,
    SeenValue,
    holds,
    outcome_of,
    shown,
)
from chaos.observe import ProbeResult, RequestDone


def got(status: int | None = 200, error: str | None = None,
        seen: Mapping[str, SeenValue] | None = None) -> RequestDone:
    return RequestDone(label="a", method="GET", path="/x", start_ns=0, end_ns=1,
                       status=None if error else status, error=error, seen=seen)


def test_status_codes_classes_and_lists() -> None:
    assert holds(answer(503), got(503))
    assert not holds(answer(503), got(500))
    assert holds(answer("5xx"), got(500))
    assert holds(answer("5XX"), got(599))
    assert not holds(answer("5xx"), got(499))
    assert holds(answer([200, "3xx"]), got(304))
    assert not holds(answer([200, "3xx"]), got(201))
    assert not holds(answer("2xx"), got(error="ReadTimeout"))   # no answer has no status class


@pytest.mark.parametrize(("error", "outcome"), [
    ("ConnectError", Outcome.REFUSED), ("ConnectionRefusedError", Outcome.REFUSED),
    ("ReadError", Outcome.RESET), ("RemoteProtocolError", Outcome.RESET), ("ConnectionResetError", Outcome.RESET),
    ("BrokenPipeError", Outcome.RESET), ("WriteError", Outcome.RESET), ("ConnectionAbortedError", Outcome.RESET),
    ("ReadTimeout", Outcome.TIMEOUT), ("ConnectTimeout", Outcome.TIMEOUT), ("PoolTimeout", Outcome.TIMEOUT),
    ("WriteTimeout", Outcome.TIMEOUT), ("Timeout", Outcome.TIMEOUT),
])
def test_transport_errors_are_outcomes(error: str, outcome: Outcome) -> None:
    assert outcome_of(error) is outcome
    assert holds(answer(outcome.value), got(error=error))
    others = [o for o in Outcome if o is not outcome]
    assert not holds(answer([o.value for o in others]), got(error=error))


def test_the_error_tables_do_not_overlap_and_unknown_errors_are_no_outcome() -> None:
    assert len(REFUSED_ERRORS | RESET_ERRORS | TIMEOUT_ERRORS) == \
        len(REFUSED_ERRORS) + len(RESET_ERRORS) + len(TIMEOUT_ERRORS)
    for error in ("Cancelled", "ValueError", None):
        assert outcome_of(error) is None
    assert not holds(answer(["refused", "reset", "timeout"]), got(error="Cancelled"))
    assert not holds(answer(503), got(error="ConnectError"))   # a refusal is not a 503


def test_not_ready_default_counts_a_refusal_and_a_503_but_not_a_hang() -> None:
    not_ready = answer([503, "refused", "reset"])
    assert holds(not_ready, got(503))
    assert holds(not_ready, got(error="ConnectError"))
    assert holds(not_ready, got(error="ConnectionResetError"))
    assert not holds(not_ready, got(error="ReadTimeout"))
    assert not holds(not_ready, got(200))


def test_headers_equal_match_present_absent() -> None:
    hit = got(seen={"header:x-cache": "HIT"})
    miss = got(seen={"header:x-cache": "MISS"})
    none = got(seen={})
    assert holds(answer({"header": "X-Cache"}), hit)
    assert not holds(answer({"header": "X-Cache"}), none)
    assert holds(answer({"header": "x-cache", "equals": "HIT"}), hit)
    assert not holds(answer({"header": "X-CACHE", "equals": "HIT"}), miss)
    assert not holds(answer({"header": "X-Cache", "equals": "hit"}), hit)      # values are case-sensitive
    assert holds(answer({"header": "X-Cache", "matches": "(?i)^hit"}), hit)
    assert holds(answer({"header": "X-Cache", "matches": "IT"}), hit)           # a search, not a full match
    assert not holds(answer({"header": "X-Cache", "matches": "^IT"}), hit)
    assert holds(answer({"header": "X-Cache", "present": False}), none)
    assert not holds(answer({"header": "X-Cache", "present": False}), hit)
    assert holds(Header(name="X-Cache", equals="HIT"), hit)                    # a name written in any case
    assert not holds(answer({"header": "X-Cache"}), got(seen=None))             # nothing captured: absent
    assert holds(answer({"header": "X-Cache", "present": False}), got(seen=None))


def test_a_header_or_json_condition_never_holds_without_an_answer() -> None:
    refused = got(error="ConnectError")
    for spec in ({"header": "X-Cache"}, {"header": "X-Cache", "present": False}, {"json": "a", "present": False},
                 {"json": "a"}, {"body_matches": "."}):
        assert not holds(answer(spec), refused), spec
    # so `not` of one holds for a refusal: the default failed_fast (not 2xx) counts transport errors
    assert holds(answer({"not": {"header": "X-Cache"}}), refused)
    assert holds(answer({"not": {"status": "2xx"}}), refused)


def test_json_values_absent_is_not_null_and_booleans_are_not_numbers() -> None:
    null = got(seen={"json:a": None})
    absent = got(seen={})
    assert holds(answer({"json": "a"}), null)                      # null is present
    assert not holds(answer({"json": "a"}), absent)
    assert holds(answer({"json": "a", "present": False}), absent)
    assert not holds(answer({"json": "a", "present": False}), null)
    assert not holds(answer({"json": "a", "matches": "."}), null)  # null has no text to search
    one, true = got(seen={"json:a": 1}), got(seen={"json:a": True})
    assert not holds(answer({"json": "a", "equals": True}), one)   # 1 == True in Python, not in JSON
    assert not holds(answer({"json": "a", "equals": 1}), true)
    assert holds(answer({"json": "a", "equals": True}), true)
    assert holds(answer({"json": "a", "equals": 1}), one)
    assert holds(answer({"json": "a", "equals": 1.0}), one)         # numbers compare as numbers
    assert not holds(answer({"json": "a", "equals": "1"}), one)     # a string is not a number
    assert not holds(answer({"json": "a", "equals": False}), got(seen={"json:a": 0}))
    assert holds(answer({"json": "a", "matches": "^true$"}), true)   # matches reads JSON's spelling
    assert holds(answer({"json": "a", "matches": "^1$"}), one)


def test_composite_values_are_present_but_equal_nothing_a_user_can_write() -> None:
    obj = got(seen={"json:meta": "<object>"})
    assert holds(answer({"json": "meta"}), obj)
    assert not holds(answer({"json": "meta", "present": False}), obj)
    assert not holds(answer({"json": "meta", "equals": True}), obj)


def test_body_matches_holds_when_the_pattern_was_found() -> None:
    spec = answer({"body_matches": "fall(back)?"})
    assert holds(spec, got(seen={"match:fall(back)?": "fallback"}))
    assert not holds(spec, got(seen={"match:other": "x"}))
    assert not holds(spec, got(seen=None))


def test_all_any_not_combine() -> None:
    served = got(seen={"json:degraded": True})
    degraded = answer({"all": [{"status": "2xx"}, {"json": "degraded", "equals": True}]})
    assert holds(degraded, served)
    assert not holds(degraded, got(503, seen={"json:degraded": True}))
    same_table = answer({"status": "2xx", "json": "degraded", "equals": True})   # keys of one table: AND
    assert holds(same_table, served)
    assert not holds(same_table, got(200, seen={"json:degraded": False}))
    either = answer({"any": [423, {"status": 429, "header": "Retry-After"}]})
    assert holds(either, got(423))
    assert holds(either, got(429, seen={"header:retry-after": "1"}))
    assert not holds(either, got(429))
    assert holds(answer({"not": 200}), got(201))
    assert not holds(answer({"not": {"not": 200}}), got(201))


def test_probes_are_judged_like_requests() -> None:
    probe = ProbeResult(probe="ready", ok=False, start_ns=0, end_ns=1, error="ConnectError")
    assert holds(answer("refused"), probe)
    silent = ProbeResult(probe="alive", ok=False, start_ns=0, end_ns=1)   # a callable probe: neither set
    assert not holds(answer(["refused", "reset", "timeout"]), silent)
    assert shown(answer(200), silent) == "no answer"


def test_shown_says_what_the_spec_looked_at() -> None:
    cached = answer({"all": [{"status": 200}, {"header": "X-Cache", "equals": "HIT"},
                             {"json": "meta.source", "equals": "cache"}]})
    assert shown(cached, got(200, seen={"header:x-cache": "MISS"})) == \
        "status 200, header x-cache: 'MISS', json meta.source: absent"
    assert shown(cached, got(error="ReadTimeout")) == "ReadTimeout"   # no answer: nothing else to show
    assert shown(answer(200), got(503)) == "status 503"
    values = answer({"all": [{"json": "a"}, {"json": "b"}, {"json": "c"}, {"json": "d"}, {"json": "e"},
                             {"body_matches": "x+"}]})
    seen: dict[str, SeenValue] = {"json:a": True, "json:b": None, "json:c": 1.5, "json:d": "<object>",
                                  "json:e": False, "match:x+": "xx"}
    assert shown(values, got(200, seen=seen)) == \
        "status 200, json a: true, json b: null, json c: 1.5, json d: '<object>', json e: false, match x+: 'xx'"
    twice = answer({"any": [{"header": "X-Cache", "equals": "HIT"}, {"not": {"header": "x-cache"}}]})
    assert shown(twice, got(200)) == "status 200, header x-cache: absent"   # each thing said once
