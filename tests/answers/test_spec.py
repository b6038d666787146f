"""Answer specs as values: each node says itself in words, the way verdicts and docs quote it."""

from __future__ import annotations

import dataclasses

import pytest

from chaos.answers import (
    AllOf,
    AnyOf,
    BodyMatches,
    Header,
    JsonPath,
    JsonValue,
    Not,
    Outcome,
    Status,
    describe,
)

PATH = JsonPath(text="meta.cache.hit", segments=("meta", "cache", "hit"))


def test_status_lists_codes_then_classes_then_outcomes_in_a_fixed_order() -> None:
    status = Status(codes=frozenset({503, 429}), classes=frozenset({5, 2}),
                    outcomes=frozenset({Outcome.TIMEOUT, Outcome.REFUSED, Outcome.RESET}))
    assert describe(status) == "status 429/503/2xx/5xx/refused/reset/timeout"
    assert describe(Status(codes=frozenset({503}))) == "status 503"
    assert describe(Status(outcomes=frozenset({Outcome.RESET}))) == "status reset"


def test_outcomes_are_the_words_a_user_writes() -> None:
    assert [o.value for o in Outcome] == ["refused", "reset", "timeout"]
    assert Outcome("refused") is Outcome.REFUSED


def test_header_and_json_value_say_their_condition() -> None:
    assert describe(Header(name="x-cache")) == "header x-cache"
    assert describe(Header(name="x-cache", equals="HIT")) == "header x-cache == 'HIT'"
    assert describe(Header(name="x-cache", matches="^HIT")) == "header x-cache ~ /^HIT/"
    assert describe(Header(name="x-cache", present=False)) == "header x-cache absent"
    assert describe(JsonValue(path=PATH)) == "json meta.cache.hit"
    assert describe(JsonValue(path=PATH, equals=True)) == "json meta.cache.hit == true"
    assert describe(JsonValue(path=PATH, equals=False)) == "json meta.cache.hit == false"
    assert describe(JsonValue(path=PATH, equals=1)) == "json meta.cache.hit == 1"   # a number, not "true"
    assert describe(JsonValue(path=PATH, equals=0.5)) == "json meta.cache.hit == 0.5"
    assert describe(JsonValue(path=PATH, equals="1")) == "json meta.cache.hit == '1'"   # a string, quoted
    assert describe(JsonValue(path=PATH, present=False)) == "json meta.cache.hit absent"
    assert describe(BodyMatches(pattern="deg(raded)?")) == "body ~ /deg(raded)?/"
    assert str(PATH) == "meta.cache.hit"


def test_combinations_bracket_what_would_be_ambiguous() -> None:
    ok, deg = Status(classes=frozenset({2})), JsonValue(path=PATH, equals=True)
    assert describe(AllOf(parts=(ok, deg))) == "status 2xx and json meta.cache.hit == true"
    assert describe(AnyOf(parts=(ok, deg))) == "status 2xx or json meta.cache.hit == true"
    assert describe(Not(part=ok)) == "not status 2xx"
    assert describe(Not(part=AnyOf(parts=(ok, deg)))) == "not (status 2xx or json meta.cache.hit == true)"
    nested = AllOf(parts=(AnyOf(parts=(Status(codes=frozenset({200})), Status(codes=frozenset({201})))),
                          Not(part=Header(name="x-cache", present=False))))
    assert describe(nested) == "(status 200 or status 201) and not header x-cache absent"
    assert describe(AnyOf(parts=(AllOf(parts=(ok, deg)), ok))) == \
        "(status 2xx and json meta.cache.hit == true) or status 2xx"


def test_specs_are_frozen_hashable_values() -> None:
    a = AllOf(parts=(Header(name="x-cache", equals="HIT"), Status(codes=frozenset({200}))))
    b = AllOf(parts=(Header(name="x-cache", equals="HIT"), Status(codes=frozenset({200}))))
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, Not(part=a)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.parts = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        Header("x-cache")  # type: ignore[call-arg]   # keyword-only: no positional surprises
