"""[contracts.*] and [answers] against the catalog: defaults filled, answers resolved in order, old
parameters renamed, and the needs of a contract checked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaos.answers import Not, Outcome, Status
from chaos.errors import TargetFileError
from chaos.targetfile import ANSWER_DEFAULTS, CONTRACTS, RequestTemplate, Target, load_target
from chaos.targetfile.catalog import RENAMED

BASE = """
[service]
command = ["true"]
url = "http://127.0.0.1:{port}"
health = "/health"
ready = "/ready"

[dependencies.postgres]
kind = "postgres"

[dependencies.redis]
kind = "redis"

[dependencies.external]
kind = "http"
"""


def load(tmp_path: Path, text: str, *, base: str = BASE) -> Target:
    path = tmp_path / "chaos.toml"
    path.write_text(textwrap.dedent(base) + textwrap.dedent(text))
    return load_target(path, environ={})


def problems(tmp_path: Path, text: str, *, base: str = BASE) -> list[str]:
    with pytest.raises(TargetFileError) as info:
        load(tmp_path, text, base=base)
    assert info.value.path == str(tmp_path / "chaos.toml")
    return list(info.value.problems)


def status(*codes: int) -> Status:
    return Status(codes=frozenset(codes))


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    target = load(tmp_path, """
        [contracts.cache_fallback]
        request = "GET /api/catalog"
        dependency = "redis"

        [contracts.pool_exhaustion]
        request = "GET /api/items"
        dependency = "postgres"
        pool_size = 5
    """)
    cache = target.contracts["cache_fallback"]
    assert cache.seconds("latency_budget_s") == 1.0
    assert cache.seconds("recover_within_s") == 5.0
    assert cache.request() == RequestTemplate(method="GET", target="/api/catalog")
    assert cache.defects == ()
    pool = target.contracts["pool_exhaustion"]
    assert (pool.seconds("fail_within_s"), pool.count("db_latency_ms"), pool.count("pool_size")) == (2.0, 500, 5)


def test_a_derived_default_is_computed_from_the_other_parameters(tmp_path: Path) -> None:
    leak = """
        [contracts.connection_leak]
        bad_request = { line = "POST /api/bookings", json = { user = "x" } }
        request = "GET /api/items"
        dependency = "postgres"
    """
    target = load(tmp_path, leak + "pool_max_size = 5\n")
    assert target.contracts["connection_leak"].count("bad_count") == 20   # 4 x pool_max_size
    target = load(tmp_path, leak + "pool_max_size = 5\nbad_count = 7\n")
    assert target.contracts["connection_leak"].count("bad_count") == 7    # given: kept
    assert problems(tmp_path, leak) == [   # what it derives from is missing: that alone is told
        "[contracts.connection_leak].pool_max_size: missing (required setting: the most DB connections the "
        "service holds (the sum over its processes' pools); an integer 1..1000000)"]
    assert problems(tmp_path, leak + 'pool_max_size = "5"\n') == [
        "[contracts.connection_leak].pool_max_size: expected an integer 1..1000000, got '5' (setting: the most DB "
        "connections the service holds (the sum over its processes' pools))"]


def test_answers_resolve_contract_then_file_then_catalog(tmp_path: Path) -> None:
    target = load(tmp_path, """
        [answers]
        healthy = [200, 204]
        cached = { header = "X-Cache", equals = "HIT" }

        [contracts.cache_fallback]
        request = "GET /api/catalog"
        dependency = "redis"
        healthy = 200

        [contracts.pool_error_survival]
        request = "GET /api/items"
        dependency = "postgres"

        [contracts.readiness]
        dependency = "postgres"

        [contracts.booking_race]
        request = "POST /api/bookings"
        dependency = "postgres"
        lost = [409, 422]
    """)
    cache = target.contracts["cache_fallback"]
    assert cache.answer("healthy") == status(200)
    assert cache.answer_sources["healthy"] == "[contracts.cache_fallback].healthy"
    assert cache.answer_sources["cached"] == "[answers].cached"
    survival = target.contracts["pool_error_survival"]
    assert survival.answer("healthy") == status(200, 204)
    assert survival.answer_sources == {"healthy": "[answers].healthy"}
    readiness = target.contracts["readiness"]
    assert readiness.answer("not_ready") == Status(codes=frozenset({503}),
                                                   outcomes=frozenset({Outcome.REFUSED, Outcome.RESET}))
    assert readiness.answer_sources["not_ready"] == "default"
    race = target.contracts["booking_race"]
    assert (race.answer("won"), race.answer_sources["won"]) == (ANSWER_DEFAULTS["won"], "default")
    assert (race.answer("lost"), race.answer_sources["lost"]) == (status(409, 422), "[contracts.booking_race].lost")
    assert dict(target.answers) == {"healthy": status(200, 204), "cached": cache.answer("cached")}


def test_an_optional_answer_nobody_declared_is_none_and_says_so(tmp_path: Path) -> None:
    cache = load(tmp_path, """
        [contracts.cache_fallback]
        request = "GET /api/catalog"
        dependency = "redis"
    """).contracts["cache_fallback"]
    assert cache.answer("cached") is None
    assert cache.answer_sources["cached"] == "not declared"
    assert "cached" not in cache
    with pytest.raises(KeyError, match="contract cache_fallback has no answer 'cached'"):
        cache.required_answer("cached")
    assert cache.required_answer("healthy") == Status(classes=frozenset({2}))
    assert ANSWER_DEFAULTS["failed_fast"] == Not(part=Status(classes=frozenset({2})))


def test_bad_answers_name_their_table(tmp_path: Path) -> None:
    assert problems(tmp_path, """
        [answers]
        healty = 200
        degraded = { json = "meta..degraded", equals = true }

        [contracts.cache_fallback]
        request = "GET /api/catalog"
        dependency = "redis"
        cached = { header = "X-Cache", equals = 1 }
    """) == [
        "[answers].healty: unknown answer; did you mean 'healthy'?",
        "[answers].degraded.json: not a JSON path at position 4 of 'meta..degraded' (write keys with dots and "
        'array items as [0], e.g. "items[0].id")',
        "[contracts.cache_fallback].cached.equals: expected a string (header values are text), got 1",
    ]
    assert problems(tmp_path, "[answers]\nhealty = 200\nweird = 1\n")[1] == (
        "[answers].weird: unknown answer (allowed: cached, degraded, failed_fast, healthy, locked, lost, "
        "not_ready, won)")


def test_an_answer_a_contract_does_not_judge_by_is_an_unknown_parameter(tmp_path: Path) -> None:
    assert problems(tmp_path, """
        [contracts.readiness]
        dependency = "postgres"
        degraded = { json = "degraded", equals = true }
    """) == ["[contracts.readiness].degraded: unknown parameter (allowed: defects, dependency, flip_within_s, "
             "healthy, not_ready, recover_within_s)"]


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_parameters_of_the_old_format_say_what_replaced_them(tmp_path: Path, old: str) -> None:
    assert problems(tmp_path, f"""
        [contracts.db_restart]
        request = "GET /api/items"
        dependency = "postgres"
        {old} = 1
    """) == [f"[contracts.db_restart].{old}: renamed: use {RENAMED[old]}"]


def test_renamed_messages_read_as_the_fix() -> None:
    assert RENAMED["pool_timeout_s"] == "fail_within_s (your budget for a request while the DB is unavailable)"
    assert RENAMED["locked_status"] == "locked (an answer: locked = 423, or locked = { status = [423, 429] })"
    assert RENAMED["degraded_field"] == 'degraded (an answer: degraded = { json = "degraded", equals = true })'
    assert set(RENAMED).isdisjoint(p for c in CONTRACTS.values() for p in c.params)   # no name is both


def test_readiness_needs_a_readiness_endpoint(tmp_path: Path) -> None:
    no_ready = BASE.replace('ready = "/ready"\n', "")
    assert problems(tmp_path, "[contracts.readiness]\ndependency = \"postgres\"\n", base=no_ready) == [
        "[contracts.readiness]: needs a readiness endpoint: set [service].ready to its path, or do not declare "
        "this contract (a service without one cannot promise it)"]
    target = load(tmp_path, '[contracts.graceful_drain]\nslow_request = "GET /slow"\nslow_request_s = 2\n',
                  base=no_ready)
    drain = target.contracts["graceful_drain"]   # a drain is judged without readiness
    assert drain.text("process") == "service"
    assert target.service.ready is None


@pytest.mark.parametrize(("table", "problem"), [
    ("[contracts]\nreadiness = 5\n", "[contracts.readiness]: expected a table, got 5"),
    ("[contracts.readines]\ndependency = \"postgres\"\n",
     "[contracts].readines: unknown contract; did you mean 'readiness'?"),
    ("[contracts.readiness]\ndependency = \"postgres\"\ndefects = \"ready_ignores_db\"\n",
     "[contracts.readiness].defects: expected a list of defect names (strings), got 'ready_ignores_db'"),
    ("[contracts.readiness]\ndependency = \"postgres\"\ndefects = [\"\"]\n",
     "[contracts.readiness].defects: expected a list of defect names (strings), got ['']"),
    ("[contracts.readiness]\ndependency = \"redis\"\n",
     "[contracts.readiness].dependency: dependency 'redis' is of kind 'redis'; this contract needs a 'postgres' "
     "dependency"),
    ("[contracts.readiness]\ndependency = \"pg\"\n",
     "[contracts.readiness].dependency: unknown dependency 'pg' (declared under [dependencies]: postgres, redis, "
     "external)"),
    ("[contracts.readiness]\ndependency = 1\n",
     "[contracts.readiness].dependency: expected the name of a dependency, got 1 (subject: the dependency "
     "readiness must reflect)"),
    ("[contracts.readiness]\ndependency = \"postgres\"\nflip_within_s = inf\n",
     "[contracts.readiness].flip_within_s: expected seconds > 0 (a finite number), got inf (budget: how soon "
     "readiness must report not ready)"),
    ("[contracts.readiness]\ndependency = \"postgres\"\nrecover_within_s = nan\n",
     "[contracts.readiness].recover_within_s: expected seconds > 0 (a finite number), got nan (budget: how soon "
     "after the heal the service must answer healthy again, and stay so)"),
    ("[contracts.readiness]\ndependency = \"postgres\"\nrecover_within_s = 0\n",
     "[contracts.readiness].recover_within_s: expected seconds > 0 (a finite number), got 0 (budget: how soon "
     "after the heal the service must answer healthy again, and stay so)"),
    ("[contracts.readiness]\ndependency = \"postgres\"\nrecover_within_s = true\n",
     "[contracts.readiness].recover_within_s: expected seconds > 0 (a finite number), got True (budget: how soon "
     "after the heal the service must answer healthy again, and stay so)"),
    ("[contracts.booking_race]\nrequest = \"POST /b\"\ndependency = \"postgres\"\nconcurrency = 1000001\n",
     "[contracts.booking_race].concurrency: expected an integer 1..1000000, got 1000001 (knob: bookings per round)"),
    ("[contracts.booking_race]\nrequest = \"POST /b\"\ndependency = \"postgres\"\ndb_latency_ms = 3600001\n",
     "[contracts.booking_race].db_latency_ms: expected milliseconds 0..3600000 (an integer), got 3600001 (knob: "
     "latency added to the DB)"),
    ("[contracts.graceful_drain]\nslow_request = \"GET /s\"\nslow_request_s = 2\nprocess = \"worker\"\n",
     "[contracts.graceful_drain].process: unknown process 'worker' (known: service)"),
])
def test_every_contract_problem_names_its_key(tmp_path: Path, table: str, problem: str) -> None:
    assert problems(tmp_path, table) == [problem]
