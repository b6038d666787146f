"""load_target(): a valid file loads into typed values; every broken file names the key at fault."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from chaos.answers import Status
from chaos.errors import TargetFileError
from chaos.targetfile import (
    ANSWER_DEFAULTS,
    CONTRACTS,
    DependencyKind,
    Param,
    ParamKind,
    RequestTemplate,
    load_target,
)

GOOD = """
[service]
command = ["{python}", "-m", "sut", "--port", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/health"
ready = "/ready"
shutdown_grace_s = 5

[service.env]
DATABASE_URL = "{postgres.url}"
REDIS_URL = "{redis.url}"
EXTERNAL_API_URL = "{external.url}"
DB_HOST = "{postgres.host}"
DB_PORT = "{postgres.port}"
LIT = "{{x}}"

[dependencies.postgres]
kind = "postgres"
database = "shop"
init_sql = "schema.sql"

[dependencies.redis]
kind = "redis"

[dependencies.external]
kind = "http"

[load]
rate_per_s = 40
concurrency = 8

[contracts.cache_fallback]
request = "GET /api/catalog"
dependency = "redis"
latency_budget_s = 1
recover_within_s = 5.5

[contracts.booking_race]
request = { line = "POST /api/bookings", json = { slot = "s-{unique}", user = "u1" } }
dependency = "postgres"
concurrency = 10
db_latency_ms = 0

[contracts.restart_persistence]
request = "POST /api/login?x=1"
max_attempts = 5
locked = 429
"""


def write(tmp_path: Path, text: str, *, schema: bool = True) -> Path:
    if schema:
        (tmp_path / "schema.sql").write_text("create table t (id int);\n")
    path = tmp_path / "chaos.toml"
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(TargetFileError) as info:
        load_target(write(tmp_path, text))
    assert str(tmp_path / "chaos.toml") in str(info.value)
    return str(info.value)


def replace(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_good_file_loads_into_typed_values(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, GOOD))
    assert target.path == tmp_path / "chaos.toml"
    svc = target.service
    assert svc.command == ("{python}", "-m", "sut", "--port", "{port}")
    assert svc.cwd == tmp_path.resolve()
    assert (svc.health, svc.ready) == ("/health", "/ready")
    assert (svc.start_timeout_s, svc.shutdown_grace_s) == (20.0, 5.0)
    assert svc.allow_remote is False
    assert svc.env["LIT"] == "{{x}}"
    assert list(target.dependencies) == ["postgres", "redis", "external"]
    pg = target.dependencies["postgres"]
    assert (pg.kind, pg.database, pg.user, pg.password) == (DependencyKind.POSTGRES, "shop", "app", "app")
    assert pg.init_sql == (tmp_path / "schema.sql").resolve()
    assert target.dependencies["external"].kind is DependencyKind.HTTP
    assert (target.load.rate_per_s, target.load.concurrency) == (40.0, 8)
    cache = target.contract("cache_fallback")
    assert cache is not None
    assert cache.request() == RequestTemplate(method="GET", target="/api/catalog")
    assert cache.seconds("latency_budget_s") == 1.0
    assert cache.dependency == "redis"
    booking = target.contracts["booking_race"]
    assert booking.count("concurrency") == 10
    assert booking.request().json == {"slot": "s-{unique}", "user": "u1"}
    assert booking.request().path == "/api/bookings"
    login = target.contracts["restart_persistence"]
    assert login.request().path == "/api/login"
    assert login.request().target == "/api/login?x=1"
    assert login.answer("locked") == Status(codes=frozenset({429}))
    assert login.answer_sources["locked"] == "[contracts.restart_persistence].locked"
    assert login.request().json is None
    assert target.contract("readiness") is None


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, """
        [service]
        command = ["true"]
        url = "http://localhost:{port}"
        health = "/h"
    """))
    assert target.service.ready is None   # no readiness endpoint declared: the suite waits on health
    assert target.service.ready_or_health == "/h"
    assert target.dependencies == {}
    assert target.contracts == {}
    assert (target.load.rate_per_s, target.load.concurrency) == (20.0, 4)


def test_loaded_target_is_immutable(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, GOOD))
    with pytest.raises(AttributeError):
        target.service.url = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        target.service.env["X"] = "y"  # type: ignore[index]


def catalog_file(value_of: Callable[[Param], str | None]) -> str:
    """GOOD's service and dependencies, then every catalog contract with the parameters `value_of`
    gives a TOML value for (None: left out); each dependency names one of GOOD's of the right kind."""
    dep_of = {"postgres": "postgres", "redis": "redis", "http": "external"}
    blocks = []
    for name, contract in CONTRACTS.items():
        lines = [f"[contracts.{name}]"]
        for p in contract.params.values():
            if p.kind is ParamKind.DEPENDENCY:
                assert p.dependency_kind is not None
                lines.append(f'dependency = "{dep_of[p.dependency_kind.value]}"')
            elif (value := value_of(p)) is not None:
                lines.append(f"{p.name} = {value}")
        blocks.append("\n".join(lines))
    return GOOD.split("[contracts.cache_fallback]", maxsplit=1)[0] + "\n\n".join(blocks) + "\n"


def test_every_catalog_contract_validates(tmp_path: Path) -> None:
    """A file declaring all 13 contracts with well-typed params loads: the table and loader agree."""
    samples = {ParamKind.REQUEST: '{ line = "POST /x", json = { a = 1 } }', ParamKind.SECONDS: "2",
               ParamKind.COUNT: "2", ParamKind.MILLISECONDS: "100", ParamKind.PROCESS: '"service"',
               ParamKind.ANSWER: '{ status = "2xx", header = "X-Chaos" }'}
    target = load_target(write(tmp_path, catalog_file(lambda p: samples[p.kind])))
    assert set(target.contracts) == set(CONTRACTS)
    assert len(CONTRACTS) == 13
    for name, contract in CONTRACTS.items():   # every parameter given: every one typed and kept
        spec = target.contracts[name]
        assert set(spec.params) == set(contract.params), name
        for answer_name in contract.answers():
            assert spec.answer_sources[answer_name] == f"[contracts.{name}].{answer_name}"


def test_every_catalog_contract_loads_with_only_its_required_parameters(tmp_path: Path) -> None:
    """The defaults fill every optional parameter (experiments carry no fallbacks of their own)."""
    def required(p: Param) -> str | None:
        return None if not p.required else '"GET /x"' if p.kind is ParamKind.REQUEST else "2"

    target = load_target(write(tmp_path, catalog_file(required)))
    for name, contract in CONTRACTS.items():
        spec = target.contracts[name]
        for p in contract.params.values():
            if p.kind is ParamKind.ANSWER:
                assert spec.answer(p.name) == ANSWER_DEFAULTS[p.name], (name, p.name)
                expected = "default" if ANSWER_DEFAULTS[p.name] is not None else "not declared"
                assert spec.answer_sources[p.name] == expected
            elif p.default is not None:
                assert p.name in spec, (name, p.name)


# --- broken files: each message names the key ----------------------------------------------------

def test_toml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, "[service]\ncommand = [\"x\"\nurl = 1\n")
    assert "TOML syntax error" in msg
    assert "line 3" in msg
    assert "column" in msg


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TargetFileError, match="cannot read"):
        load_target(tmp_path / "nope.toml")


def test_unknown_top_level_table_suggests(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, GOOD + "\n[contract.x]\na = 1\n")
    assert "[contract]: unknown table; did you mean 'contracts'?" in msg


def test_unknown_service_key_suggests_nearest(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('health = "/health"', 'health = "/health"\nhelth = "/h"'))
    assert "[service].helth: unknown key; did you mean 'health'?" in msg


def test_missing_command_url_health(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, "[service]\ncwd = \".\"\n")
    assert "[service].command: missing" in msg
    assert "[service].url: missing" in msg
    assert "[service].health: missing" in msg


def test_missing_service_table(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, "[load]\nconcurrency = 2\n")
    assert "[service]: missing" in msg


def test_wrong_types_in_service(tmp_path: Path) -> None:
    text = (replace('command = ["{python}", "-m", "sut", "--port", "{port}"]', 'command = "python -m sut"')
            .replace("shutdown_grace_s = 5", 'shutdown_grace_s = "5s"')
            .replace('health = "/health"', 'health = "health"\nallow_remote = "yes"'))
    msg = problems_of(tmp_path, text)
    assert "[service].command: expected a non-empty list of strings, got 'python -m sut'" in msg
    assert "[service].shutdown_grace_s: expected seconds > 0 (a finite number), got '5s'" in msg
    assert "[service].health: expected an URL path starting with '/'" in msg
    assert "[service].allow_remote: expected true or false, got 'yes'" in msg


def test_env_value_must_be_string(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('LIT = "{{x}}"', "LIT = 5"))
    assert "[service].env.LIT: expected a string (quote it), got 5" in msg


def test_unknown_template_name_names_the_key(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('REDIS_URL = "{redis.url}"', 'REDIS_URL = "{redis.uri}"'))
    assert "[service].env.REDIS_URL: unknown template name {redis.uri}" in msg
    assert "did you mean {redis.url}?" in msg


def test_template_naming_undeclared_dependency(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('"--port", "{port}"]', '"--port", "{port}", "{cache.url}"]'))
    assert "[service].command[5]: unknown template name {cache.url}" in msg


def test_unbalanced_brace_in_url(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('url = "http://127.0.0.1:{port}"', 'url = "http://127.0.0.1:{port"'))
    assert "[service].url: bad template: unbalanced '{'" in msg


def test_non_loopback_url_refused_unless_allowed(tmp_path: Path) -> None:
    remote = replace('url = "http://127.0.0.1:{port}"', 'url = "https://api.example.com:{port}"')
    msg = problems_of(tmp_path, remote)
    assert "[service].url: host 'api.example.com' is not a loopback address" in msg
    assert "allow_remote = true" in msg
    allowed = remote.replace('health = "/health"', 'health = "/health"\nallow_remote = true')
    assert load_target(write(tmp_path, allowed)).service.allow_remote is True


def test_bad_url_scheme(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('url = "http://127.0.0.1:{port}"', 'url = "127.0.0.1:{port}"'))
    assert "[service].url: expected http(s)://host:port" in msg


def test_cwd_must_exist(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('health = "/health"', 'health = "/health"\ncwd = "no/such/dir"'))
    assert "[service].cwd: not a directory" in msg


def test_unknown_dependency_kind(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('kind = "redis"', 'kind = "memcached"'))
    assert ("[dependencies.redis].kind: unknown dependency kind 'memcached' (expected one of: postgres, redis, "
            "http)") in msg
    # changed: the template and the contract that name the broken dependency add no guess of their
    # own (they used to report "unknown template name {redis.url}"): one problem, told once
    assert "REDIS_URL" not in msg
    assert "[contracts.cache_fallback].dependency" not in msg
    assert msg.count("\n") == 0   # one problem: one line


def test_dependency_missing_kind_and_postgres_only_keys(tmp_path: Path) -> None:
    text = (replace('kind = "http"', 'database = "x"')
            .replace('kind = "redis"', 'kind = "redis"\ninit_sql = "a.sql"'))
    msg = problems_of(tmp_path, text)
    assert "[dependencies.external].kind: missing" in msg
    assert "[dependencies.redis].init_sql: only valid for kind 'postgres'" in msg


def test_dependency_unknown_key_suggests(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('database = "shop"', 'databse = "shop"'))
    assert "[dependencies.postgres].databse: unknown key; did you mean 'database'?" in msg


def test_init_sql_must_exist(tmp_path: Path) -> None:
    with pytest.raises(TargetFileError, match=r"\[dependencies.postgres\].init_sql: file not found"):
        load_target(write(tmp_path, GOOD, schema=False))


def test_unknown_contract_suggests(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace("[contracts.cache_fallback]", "[contracts.cache_fallbak]"))
    assert "[contracts].cache_fallbak: unknown contract; did you mean 'cache_fallback'?" in msg


def test_contract_unknown_and_missing_params(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace("latency_budget_s = 1", "latency_budget = 1"))
    assert ("[contracts.cache_fallback].latency_budget: unknown parameter; "
            "did you mean 'latency_budget_s'?") in msg
    assert "latency_budget_s: missing" not in msg   # a budget with a default (1 s) is never missing
    msg = problems_of(tmp_path, GOOD + '\n[contracts.retry_backoff]\nrequest = "GET /q"\ndependency = "external"\n')
    assert ("[contracts.retry_backoff].max_attempts: missing (required setting: the service's attempts per "
            "call (first + retries); an integer 1..1000000)") in msg


def test_contract_param_types(tmp_path: Path) -> None:
    text = (replace("latency_budget_s = 1", 'latency_budget_s = "1s"')
            .replace('request = "GET /api/catalog"', 'request = "/api/catalog"')
            .replace("concurrency = 10", "concurrency = 2.5")
            .replace("locked = 429", "locked = 42")
            .replace("db_latency_ms = 0", "db_latency_ms = -1")
            .replace('{ line = "POST /api/bookings", json =', '{ line = "POST /api/bookings", form = 3, json ='))
    msg = problems_of(tmp_path, text)
    assert ("[contracts.cache_fallback].latency_budget_s: expected seconds > 0 (a finite number), got '1s' "
            "(budget: how fast a fallback answer must come)") in msg
    assert ("[contracts.cache_fallback].request: expected a request line such as \"GET /api/items?page=1\", "
            "got '/api/catalog'") in msg
    assert ("[contracts.booking_race].concurrency: expected an integer 1..1000000, got 2.5 (knob: bookings per "
            "round)") in msg
    assert ('[contracts.restart_persistence].locked: expected an HTTP status (503), a class ("5xx"), "refused", '
            '"reset" or "timeout", or a list of these, got 42') in msg
    assert ("[contracts.booking_race].db_latency_ms: expected milliseconds 0..3600000 (an integer), got -1 "
            "(knob: latency added to the DB)") in msg
    assert "[contracts.booking_race].request: give at most one body: json or form or text (got json, form)" in msg


def test_parameters_of_the_old_format_say_what_replaced_them(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace("locked = 429", "locked_status = 429\njson = { a = 1 }"))
    assert ("[contracts.restart_persistence].locked_status: renamed: use locked (an answer: locked = 423, or "
            "locked = { status = [423, 429] })") in msg
    assert ('[contracts.restart_persistence].json: renamed: use the request table: request = { line = "POST '
            '/path", json = { ... } }') in msg


def test_contract_naming_unknown_dependency(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('dependency = "redis"', 'dependency = "cache"'))
    assert "[contracts.cache_fallback].dependency: unknown dependency 'cache'" in msg


def test_contract_dependency_of_wrong_kind(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace('dependency = "redis"', 'dependency = "postgres"'))
    assert ("[contracts.cache_fallback].dependency: dependency 'postgres' is of kind 'postgres'; "
            "this contract needs a 'redis' dependency") in msg


def test_load_table_types(tmp_path: Path) -> None:
    msg = problems_of(tmp_path, replace("concurrency = 8", "concurrency = 0\nburst = 3"))
    assert "[load].concurrency: expected an integer 1..1000000, got 0" in msg
    assert "[load].burst: unknown key" in msg


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = (replace('health = "/health"', 'helth = "/health"')
            .replace('kind = "http"', 'kind = "grpc"')
            .replace("latency_budget_s = 1", "latency_budget_s = 0"))
    with pytest.raises(TargetFileError) as info:
        load_target(write(tmp_path, text))
    problems = info.value.problems
    assert any(p.startswith("[service].helth:") for p in problems)
    assert any(p.startswith("[service].health: missing") for p in problems)
    assert any(p.startswith("[dependencies.external].kind:") for p in problems)
    assert any(p.startswith("[contracts.cache_fallback].latency_budget_s:") for p in problems)
    assert info.value.path == str(tmp_path / "chaos.toml")
