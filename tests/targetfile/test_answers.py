"""parse_answer: every shorthand and table form, and every problem named with its key."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from chaos.answers import AllOf, AnyOf, BodyMatches, Header, JsonPath, JsonValue, Not, Outcome, Status
from chaos.targetfile._fields import Problems
from chaos.targetfile.answers import MAX_ANSWER_DEPTH, parse_answer

KEY = "[answers].x"
STATUS_EXPECTED = ('expected an HTTP status (503), a class ("5xx"), "refused", "reset" or "timeout", or a list '
                   "of these")
PATH_HINT = '(write keys with dots and array items as [0], e.g. "items[0].id")'


def parsed(value: Any) -> object:
    problems = Problems()
    result = parse_answer(problems, KEY, value)
    assert problems.lines == [], problems.lines
    assert result is not None
    return result


def problems_of(value: Any) -> list[str]:
    problems = Problems()
    assert parse_answer(problems, KEY, value) is None
    assert problems.lines
    return problems.lines


def status(codes: tuple[int, ...] = (), classes: tuple[int, ...] = (), outcomes: tuple[Outcome, ...] = ()) -> Status:
    return Status(codes=frozenset(codes), classes=frozenset(classes), outcomes=frozenset(outcomes))


@pytest.mark.parametrize(("value", "expected"), [
    (503, status(codes=(503,))),
    ("5xx", status(classes=(5,))),
    ("2XX", status(classes=(2,))),
    ("refused", status(outcomes=(Outcome.REFUSED,))),
    ("reset", status(outcomes=(Outcome.RESET,))),
    ("timeout", status(outcomes=(Outcome.TIMEOUT,))),
    ([503, "refused", "reset"], status(codes=(503,), outcomes=(Outcome.REFUSED, Outcome.RESET))),
    ([100, 599, "1xx"], status(codes=(100, 599), classes=(1,))),
    ({"status": [423, 429]}, status(codes=(423, 429))),
    ({"status": "4xx"}, status(classes=(4,))),
])
def test_status_shorthands_and_tables(value: Any, expected: Status) -> None:
    assert parsed(value) == expected


def test_header_and_json_tables() -> None:
    assert parsed({"header": "X-Cache"}) == Header(name="x-cache")   # names are case-insensitive: stored lower
    assert parsed({"header": "X-Cache", "equals": "HIT"}) == Header(name="x-cache", equals="HIT")
    assert parsed({"header": "X-Cache", "matches": "^HIT"}) == Header(name="x-cache", matches="^HIT")
    assert parsed({"header": "X-Cache", "present": False}) == Header(name="x-cache", present=False)
    meta = JsonPath(text="meta.cache.hit", segments=("meta", "cache", "hit"))
    assert parsed({"json": "meta.cache.hit"}) == JsonValue(path=meta)
    assert parsed({"json": "meta.cache.hit", "equals": True}) == JsonValue(path=meta, equals=True)
    assert parsed({"json": "meta.cache.hit", "equals": 1}) == JsonValue(path=meta, equals=1)
    assert parsed({"json": "meta.cache.hit", "equals": 0.5}) == JsonValue(path=meta, equals=0.5)
    assert parsed({"json": "meta.cache.hit", "equals": "yes"}) == JsonValue(path=meta, equals="yes")
    assert parsed({"json": "meta.cache.hit", "present": False}) == JsonValue(path=meta, present=False)
    assert parsed({"body_matches": "fall(back)?"}) == BodyMatches(pattern="fall(back)?")


@pytest.mark.parametrize(("text", "segments"), [
    ("a", ("a",)), ("items[0].id", ("items", 0, "id")), ("$.data", ("data",)), ("$data", ("data",)),
    ("[0]", (0,)), ("a[0][1]", ("a", 0, 1)), ('data["a.b"]', ("data", "a.b")), ("data['x y']", ("data", "x y")),
    ("a.0.b", ("a", "0", "b")), ("snake_case.kebab-case", ("snake_case", "kebab-case")),
])
def test_json_paths(text: str, segments: tuple[str | int, ...]) -> None:
    assert parsed({"json": text}) == JsonValue(path=JsonPath(text=text, segments=segments))


def test_keys_of_one_table_all_hold_and_combinations_nest() -> None:
    assert parsed({"status": 200, "header": "X-Cache"}) == AllOf(parts=(status(codes=(200,)), Header(name="x-cache")))
    locked = parsed({"any": [423, {"status": 429, "header": "Retry-After"}]})
    assert locked == AnyOf(parts=(status(codes=(423,)),
                                  AllOf(parts=(status(codes=(429,)), Header(name="retry-after")))))
    assert parsed({"not": {"status": "2xx"}}) == Not(part=status(classes=(2,)))
    assert parsed({"all": ["2xx", {"not": {"json": "degraded", "equals": True}}]}) == AllOf(parts=(
        status(classes=(2,)),
        Not(part=JsonValue(path=JsonPath(text="degraded", segments=("degraded",)), equals=True))))


def test_a_value_that_is_no_answer() -> None:
    for value, shown in ((True, "True"), (1.5, "1.5"), (datetime.date(2024, 1, 2), "datetime.date(2024, 1, 2)")):
        assert problems_of(value) == [
            f'{KEY}: expected an answer: a status shorthand (503, "5xx", [503, "refused"]) or a table such as '
            f'{{ header = "X-Cache", equals = "HIT" }}, got {shown}']


@pytest.mark.parametrize(("value", "where", "got"), [
    ([], KEY, "an empty list"),
    (99, KEY, "99"),
    ([600], KEY, "600"),
    ("6xx", KEY, "'6xx'"),
    ([200, True], KEY, "True"),                        # a boolean is no status
    ({"status": []}, f"{KEY}.status", "an empty list"),
    ({"status": 2.0}, f"{KEY}.status", "2.0"),
    ({"not": 5}, f"{KEY}.not", "5"),
    ({"all": [503, {"status": "bogus"}]}, f"{KEY}.all[1].status", "'bogus'"),
])
def test_bad_statuses(value: Any, where: str, got: str) -> None:
    assert problems_of(value) == [f"{where}: {STATUS_EXPECTED}, got {got}"]


def test_misspelt_outcomes_get_a_did_you_mean() -> None:
    assert problems_of("refuse") == [f"{KEY}: {STATUS_EXPECTED}, got 'refuse'; did you mean 'refused'?"]
    assert problems_of([503, "timout"]) == [f"{KEY}: {STATUS_EXPECTED}, got 'timout'; did you mean 'timeout'?"]
    assert problems_of({"status": "rest"}) == [f"{KEY}.status: {STATUS_EXPECTED}, got 'rest'; did you mean 'reset'?"]


def test_unknown_keys_suggest_the_nearest_or_list_the_allowed_once() -> None:
    assert problems_of({"staus": 200}) == [f"{KEY}.staus: unknown key; did you mean 'status'?"]
    assert problems_of({"header": "X", "equal": "a"}) == [f"{KEY}.equal: unknown key; did you mean 'equals'?"]
    allowed = "(allowed: all, any, body_matches, equals, header, json, matches, not, present, status)"
    assert problems_of({"foo": 1, "bar": 2, "status": 200}) == [f"{KEY}.foo: unknown key {allowed}",
                                                                f"{KEY}.bar: unknown key"]


@pytest.mark.parametrize(("value", "problem"), [
    ({}, f"{KEY}: an empty answer: give at least one of status, header, json, body_matches, all, any, not"),
    ({"not": {}}, f"{KEY}.not: an empty answer: give at least one of status, header, json, body_matches, all, any, "
                  "not"),
    ({"header": "X", "json": "a"}, f"{KEY}: header and json in one table: write all = [{{ header = ... }}, "
                                   "{ json = ... }]"),
    ({"equals": 1}, f'{KEY}: equals needs a header = "..." or json = "..." to apply to'),
    ({"equals": 1, "matches": "x"}, f'{KEY}: equals/matches needs a header = "..." or json = "..." to apply to'),
    ({"header": "X", "equals": "a", "matches": "b"}, f"{KEY}: give one of equals, matches, present (got equals, "
                                                     "matches)"),
    ({"json": "a", "equals": 1, "present": True}, f"{KEY}: give one of equals, matches, present (got equals, "
                                                  "present)"),
    ({"header": 1}, f"{KEY}.header: expected a header name (a string), got 1"),
    ({"header": "X Cache"}, f"{KEY}.header: not a valid header name: 'X Cache'"),
    ({"header": "X-Cache\n"}, f"{KEY}.header: not a valid header name: 'X-Cache\\n'"),
    ({"json": ""}, f"{KEY}.json: expected a JSON path (a string), got ''"),
    ({"json": ["a"]}, f"{KEY}.json: expected a JSON path (a string), got ['a']"),
    ({"header": "X", "equals": 1}, f"{KEY}.equals: expected a string (header values are text), got 1"),
    ({"header": "X", "equals": True}, f"{KEY}.equals: expected a string (header values are text), got True"),
    ({"json": "a", "equals": [1]}, f"{KEY}.equals: expected a string, number or boolean, got [1]"),
    ({"json": "a", "equals": {"b": 1}}, f"{KEY}.equals: expected a string, number or boolean, got {{'b': 1}}"),
    ({"json": "a", "equals": float("nan")}, f"{KEY}.equals: expected a string, number or boolean, got nan"),
    ({"json": "a", "equals": float("inf")}, f"{KEY}.equals: expected a string, number or boolean, got inf"),
    ({"header": "X", "matches": "("}, f"{KEY}.matches: not a valid regular expression (missing ), unterminated "
                                      "subpattern at position 0): '('"),
    ({"header": "X", "matches": ""}, f"{KEY}.matches: expected a regular expression (a non-empty string), got ''"),
    ({"json": "a", "present": "no"}, f"{KEY}.present: expected true or false, got 'no'"),
    ({"body_matches": "["}, f"{KEY}.body_matches: not a valid regular expression (unterminated character set at "
                            "position 0): '['"),
    ({"body_matches": 3}, f"{KEY}.body_matches: expected a regular expression (a non-empty string), got 3"),
    ({"all": []}, f"{KEY}.all: expected a non-empty list of answers, got []"),
    ({"any": 3}, f"{KEY}.any: expected a non-empty list of answers, got 3"),
    ({"any": [200, {"header": "X Y"}]}, f"{KEY}.any[1].header: not a valid header name: 'X Y'"),
])
def test_every_problem_names_its_key(value: Any, problem: str) -> None:
    assert problems_of(value) == [problem]


@pytest.mark.parametrize(("text", "problem"), [
    ("a..b", f"not a JSON path at position 1 of 'a..b' {PATH_HINT}"),
    (".a", f"not a JSON path at position 0 of '.a' {PATH_HINT}"),
    ("a[x]", f"not a JSON path at position 1 of 'a[x]' {PATH_HINT}"),
    ("a b", f"not a JSON path at position 1 of 'a b' {PATH_HINT}"),
    ("$.a.", f"not a JSON path at position 3 of '$.a.' {PATH_HINT}"),
    ("$", "an empty JSON path: '$'"),
    ("$.", "an empty JSON path: '$.'"),
])
def test_bad_json_paths(text: str, problem: str) -> None:
    assert problems_of({"json": text}) == [f"{KEY}.json: {problem}"]


def test_every_problem_of_a_combination_is_reported_at_once() -> None:
    assert problems_of({"all": [{"status": 99}, {"header": 1}], "any": [{"json": "a..b"}]}) == [
        f"{KEY}.all[0].status: {STATUS_EXPECTED}, got 99",
        f"{KEY}.all[1].header: expected a header name (a string), got 1",
        f"{KEY}.any[0].json: not a JSON path at position 1 of 'a..b' {PATH_HINT}",
    ]


def nested(levels: int, word: str) -> Any:
    value: Any = 503
    for _ in range(levels):
        value = {"not": value} if word == "not" else {word: [value]}
    return value


@pytest.mark.parametrize("word", ["not", "all", "any"])
def test_nesting_is_bounded(word: str) -> None:
    assert MAX_ANSWER_DEPTH == 8
    assert parsed(nested(MAX_ANSWER_DEPTH, word)) is not None
    [problem] = problems_of(nested(MAX_ANSWER_DEPTH + 1, word))
    assert problem.endswith(": answer nested deeper than 8 levels of all/any/not")
    step = ".not" if word == "not" else f".{word}[0]"
    assert problem.startswith(KEY + step * (MAX_ANSWER_DEPTH + 1) + ":")
    [problem] = problems_of(nested(5000, word))   # however deep: one line, no RecursionError
    assert problem.endswith(": answer nested deeper than 8 levels of all/any/not")
