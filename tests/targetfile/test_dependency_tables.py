"""[dependencies.*]: kinds, their keys, and the fake API's stubs, every problem named as written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaos.errors import TargetFileError
from chaos.targetfile import DependencyKind, Target, load_target
from chaos.upstream.stubs import Stub

BASE = """
[service]
command = ["true"]
url = "http://127.0.0.1:{port}"
health = "/health"
"""


def load(tmp_path: Path, text: str) -> Target:
    path = tmp_path / "chaos.toml"
    path.write_text(textwrap.dedent(BASE) + textwrap.dedent(text))
    return load_target(path, environ={})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(TargetFileError) as info:
        load(tmp_path, text)
    return list(info.value.problems)


def test_stubs_are_parsed_in_order_with_toml_values_made_json(tmp_path: Path) -> None:
    target = load(tmp_path, """
        [dependencies.rates]
        kind = "http"

        [[dependencies.rates.stubs]]
        method = "get"
        path = "/v1/rates/*"
        headers = { "X-Rate-Source" = "ecb" }
        json = { base = "USD", rates = [{ currency = "EUR", rate = 0.92 }], day = 2024-01-02 }
        delay_ms = 5

        [[dependencies.rates.stubs]]
        path = "/v1/**"
        status = 404
        text = "<h1>nope</h1>"
        content_type = "text/html"
    """)
    rates = target.dependencies["rates"]
    assert rates.kind is DependencyKind.HTTP
    first, second = rates.stubs
    assert first == Stub(method="GET", path="/v1/rates/*", headers={"X-Rate-Source": "ecb"},
                         json={"base": "USD", "rates": [{"currency": "EUR", "rate": 0.92}], "day": "2024-01-02"},
                         delay_ms=5)
    assert first.matches("GET", "/v1/rates/EUR")
    assert not first.matches("POST", "/v1/rates/EUR")
    assert second.matches("DELETE", "/v1/anything/deeper")
    assert (second.status, second.body, second.media_type) == (404, b"<h1>nope</h1>", "text/html")


def test_an_http_dependency_without_stubs_has_none(tmp_path: Path) -> None:
    target = load(tmp_path, '[dependencies.external]\nkind = "http"\n')
    assert target.dependencies["external"].stubs == ()


def test_every_stub_problem_names_the_stub_and_its_field(tmp_path: Path) -> None:
    stubs = [
        'path = "v1"', 'path = "/x"\nstatus = 700', 'path = "/x"\nmethd = "GET"', "status = 200",
        'path = "/x"\njson = { a = nan }', 'path = "/x"\nmethod = "FETCH"',
        'path = "/x"\nheaders = { "Content-Type" = "a" }',
        'path = "/x"\ntext = "a"\njson = 1', 'path = "/x"\ndelay_ms = -1', 'path = "/x?a=1"', 'path = "/x"\ncolour = 1',
        'path = "/a*"', 'path = "/x"\nstatus = 204\ntext = "body"', 'path = "/x"\nheaders = { "X" = 1 }',
        'path = "/ok"',
    ]
    text = '[dependencies.rates]\nkind = "http"\n' + "".join(f"\n[[dependencies.rates.stubs]]\n{s}\n" for s in stubs)
    assert problems(tmp_path, text) == [
        '[dependencies.rates.stubs][0].path: expected a path starting with "/", got \'v1\'',
        "[dependencies.rates.stubs][1].status: expected an HTTP status 200..599, got 700",
        "[dependencies.rates.stubs][2].methd: unknown field (did you mean method?)",
        '[dependencies.rates.stubs][3].path: required, e.g. "/v1/rates" or "/api/**"',
        "[dependencies.rates.stubs][4].json: cannot be rendered (Out of range float values are not JSON compliant)",
        "[dependencies.rates.stubs][5].method: expected one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT or "
        "null, got 'FETCH' (did you mean PATCH?)",
        "[dependencies.rates.stubs][6].headers: Content-Type goes in content_type",
        "[dependencies.rates.stubs][7].text: cannot be combined with json (one body per stub)",
        "[dependencies.rates.stubs][8].delay_ms: expected an integer >= 0, got -1",
        "[dependencies.rates.stubs][9].path: the query string is not part of the match, got '/x?a=1'",
        "[dependencies.rates.stubs][10].colour: unknown field (known: path, method, status, headers, json, text, "
        "content_type, delay_ms)",
        "[dependencies.rates.stubs][11].path: '*' and '**' must be whole segments, got '/a*'",
        "[dependencies.rates.stubs][12].text: status 204 answers without a body",
        "[dependencies.rates.stubs][13].headers: X: expected a one-line string, got 1",
    ]


@pytest.mark.parametrize("value", ["3", "[1, 2]", '"/x"', "{ path = \"/x\" }"])
def test_stubs_that_are_no_array_of_tables(tmp_path: Path, value: str) -> None:
    [problem] = problems(tmp_path, f'[dependencies.rates]\nkind = "http"\nstubs = {value}\n')
    assert problem.startswith("[dependencies.rates].stubs: expected an array of tables ([[dependencies.NAME.stubs]] "
                              "with path, status, json...), got ")


def test_keys_of_another_kind_say_whose_they_are(tmp_path: Path) -> None:
    assert problems(tmp_path, """
        [dependencies.pg]
        kind = "postgres"
        stubs = []

        [dependencies.cache]
        kind = "redis"
        database = "x"
        init_sql = "a.sql"
    """) == [
        "[dependencies.pg].stubs: only valid for kind 'http' (this one is 'postgres')",
        "[dependencies.cache].database: only valid for kind 'postgres' (this one is 'redis')",
        "[dependencies.cache].init_sql: only valid for kind 'postgres' (this one is 'redis')",
    ]


def test_names_kinds_and_tables(tmp_path: Path) -> None:
    assert problems(tmp_path, """
        [dependencies."bad name"]
        kind = "redis"

        [dependencies.a]
        kind = 5

        [dependencies.b]

        [dependencies.c]
        kind = "redis"
        colour = 1

        [dependencies.d]
        kind = "mysql"

        [dependencies.env]
        kind = "redis"
    """ + "\n[dependencies]\ne = 5\n" + f'\n[dependencies.{"x" * 65}]\nkind = "redis"\n') == [
        "[dependencies.'bad name']: a dependency name must be letters, digits, '_' or '-', at most 64 characters "
        "(it is used in templates such as {name.url})",
        "[dependencies.a].kind: expected a non-empty string, got 5",
        "[dependencies.b].kind: missing (required string)",
        "[dependencies.c].colour: unknown key (allowed: kind)",
        "[dependencies.d].kind: unknown dependency kind 'mysql' (expected one of: postgres, redis, http)",
        "[dependencies.env]: the name env is reserved: {env.NAME} reads the runner's environment, so {env.url} "
        "could not name this dependency; rename it",
        '[dependencies.e]: expected a table such as { kind = "postgres" }, got 5',
        f"[dependencies.'{'x' * 56}...]: a dependency name must be letters, digits, '_' or '-', at most 64 "
        "characters (it is used in templates such as {name.url})",
    ]


def test_postgres_fields_and_init_sql(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("create table t (id int);\n")
    target = load(tmp_path, """
        [dependencies.db]
        kind = "postgres"
        database = "shop"
        user = "u"
        password = "p"
        init_sql = "schema.sql"
    """)
    db = target.dependencies["db"]
    assert (db.database, db.user, db.password, db.init_sql) == ("shop", "u", "p", (tmp_path / "schema.sql").resolve())
    assert problems(tmp_path, '[dependencies.db]\nkind = "postgres"\ninit_sql = "."\ndatabase = ""\n') == [
        "[dependencies.db].database: expected a non-empty string, got ''",
        f"[dependencies.db].init_sql: file not found: {tmp_path.resolve()}",
    ]
