"""`[attach]`: a running deployment's target loads into typed commands; every unsafe or incomplete
one names the key at fault."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaos.errors import TargetFileError
from chaos.targetfile import load_target
from chaos.targetfile.attach import Action

ENV = {"PG_ADMIN": "host=127.0.0.1 port=5432 user=postgres password=env-secret-1", "TOKEN": "t0ken-value"}

GOOD = """
[service]
url = "http://127.0.0.1:8080"
health = "/health"
ready = "/ready"

[dependencies.postgres]
kind = "postgres"
[dependencies.redis]
kind = "redis"
[dependencies.external]
kind = "http"

[attach]
toxiproxy_url = "http://127.0.0.1:8474"
timeout_s = 20

[attach.service]
pid = "{target_dir}/ctl.sh {name} pid"
exit_code = "./ctl.sh sut exit_code"
signal = ["kill", "-s", "{signal}", "123"]
start = { run = "./ctl.sh sut start", timeout_s = 5 }

[attach.dependencies.postgres]
proxy = "pg-proxy"
admin_dsn = "{env.PG_ADMIN}"
stop = "./ctl.sh {name} stop --token {env.TOKEN}"

[attach.dependencies.redis]
admin_url = "redis://:literal-pass@127.0.0.1:6379/0"
kill = "./ctl.sh redis kill"

[attach.dependencies.external]
control_url = "http://127.0.0.1:9001"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chaos.toml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(TargetFileError) as info:
        load_target(write(tmp_path, text), environ=ENV if environ is None else environ)
    return str(info.value)


def test_an_attach_target_loads_into_commands_with_templates_resolved(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, GOOD), environ=ENV)
    attach = target.attach
    assert attach is not None
    assert target.attached
    assert target.service.command == ()
    assert attach.toxiproxy_url == "http://127.0.0.1:8474"
    service = attach.service.commands
    assert service[Action.PID].argv() == ["/bin/sh", "-c", f"{tmp_path}/ctl.sh service pid"]
    assert service[Action.SIGNAL].argv(signal="TERM") == ["kill", "-s", "TERM", "123"]
    assert service[Action.SIGNAL].display(signal="KILL") == "kill -s KILL 123"
    assert service[Action.START].timeout_s == 5
    assert service[Action.PID].timeout_s == 20
    pg = attach.dependency("postgres")
    assert pg.proxy == "pg-proxy"
    assert pg.admin == ENV["PG_ADMIN"]
    assert pg.has_readiness
    assert pg.commands[Action.STOP].display() == "./ctl.sh postgres stop --token t0ken-value"
    assert attach.dependency("external").proxy == "external"
    # every {env.NAME} value and a password written into an admin URL are masked in every output
    assert set(target.secrets) >= {ENV["PG_ADMIN"], "t0ken-value", "literal-pass"}


def test_the_toxiproxy_comes_from_TOXIPROXY_URL_when_the_file_names_none(tmp_path: Path) -> None:
    text = GOOD.replace('toxiproxy_url = "http://127.0.0.1:8474"\n', "")
    target = load_target(write(tmp_path, text), environ={**ENV, "TOXIPROXY_URL": "http://127.0.0.1:9999"})
    assert target.attach is not None
    assert target.attach.toxiproxy_url == "http://127.0.0.1:9999"
    assert "[attach].toxiproxy_url: missing: name the Toxiproxy in front of the dependencies" in problems(
        tmp_path, text)


def test_what_attach_mode_cannot_honour_in_service_is_named(tmp_path: Path) -> None:
    text = GOOD.replace('url = "http://127.0.0.1:8080"', 'command = ["x"]\nurl = "http://127.0.0.1:{port}"\n'
                        '[service.env]\nA = "b"\n[service.x]\n').replace("[service.x]\n", "")
    found = problems(tmp_path, text)
    assert "[service].command: not used in attach mode: the suite starts nothing" in found
    assert "[service].env: not used in attach mode" in found
    assert "[service].url: {port} has no value in attach mode" in found


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('signal = ["kill", "-s", "{signal}", "123"]', 'signal = "kill -TERM 123"',
     "[attach.service].signal: a signal command must contain {signal}"),
    ('start = { run = "./ctl.sh sut start", timeout_s = 5 }', 'start = "./ctl.sh {signal}"',
     "[attach.service].start: unknown template name {signal}"),
    ('start = { run = "./ctl.sh sut start", timeout_s = 5 }', "start = { timeout_s = 0 }",
     "[attach.service].start.timeout_s: expected seconds > 0"),
    ('start = { run = "./ctl.sh sut start", timeout_s = 5 }', "start = 3",
     "[attach.service].start: expected a command: a string (run by /bin/sh -c)"),
    ('exit_code = "./ctl.sh sut exit_code"\n', "",
     "[attach.service].pid: needs exit_code too"),
    ('kill = "./ctl.sh redis kill"', 'kill = "./ctl.sh redis kill"\nadmin_dsn = "x"',
     "[attach.dependencies.redis].admin_dsn: only for kind 'postgres' (this one is 'redis')"),
    ('admin_url = "redis://:literal-pass@127.0.0.1:6379/0"\n', "",
     "[attach.dependencies.redis]: kill need a readiness check to know when it is back"),
    ('control_url = "http://127.0.0.1:9001"', 'control_url = "http://10.0.0.9:9001"',
     "[attach.dependencies.external].control_url: host '10.0.0.9' is not a loopback address"),
    ('admin_dsn = "{env.PG_ADMIN}"', 'admin_dsn = "host=db.example.com user=x"',
     "[attach.dependencies.postgres].admin_dsn: host 'db.example.com' is not a loopback address"),
    ('toxiproxy_url = "http://127.0.0.1:8474"', 'toxiproxy_url = "http://toxiproxy.staging:8474"',
     "[attach].toxiproxy_url: host 'toxiproxy.staging' is not a loopback address"),
    ('[attach.dependencies.external]', '[attach.dependencies.extrenal]\n[attach.dependencies.external]',
     "[attach.dependencies.extrenal]: no such dependency; did you mean 'external'? (declared in [dependencies]: "
     "postgres, redis, external)"),
    ('proxy = "pg-proxy"', 'proxi = "pg-proxy"',
     "[attach.dependencies.postgres].proxi: unknown key; did you mean 'proxy'?"),
    ('health = "/health"', 'health = "/health"\nrestart = "always"',
     "[service].restart: 'always' restarts the service before every experiment"),
])
def test_a_broken_attach_table_names_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert expected in problems(tmp_path, GOOD.replace(old, new))


def test_a_bad_dsn_is_reported_without_quoting_it(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace('admin_dsn = "{env.PG_ADMIN}"', 'admin_dsn = "{env.BAD}"'),
                     environ={**ENV, "BAD": "host=127.0.0.1 password=s3cr3t-in-dsn port='"})
    assert "[attach.dependencies.postgres].admin_dsn: not a valid Postgres connection string" in found
    assert "s3cr3t-in-dsn" not in found


def test_a_remote_attach_target_needs_allow_remote_and_a_stop_condition(tmp_path: Path) -> None:
    remote = GOOD.replace("127.0.0.1:8080", "app.staging.example:8080").replace(
        "127.0.0.1:8474", "toxiproxy.staging.example:8474")
    found = problems(tmp_path, remote)
    assert "[service].url: host 'app.staging.example' is not a loopback address" in found
    allowed = remote.replace('health = "/health"', 'health = "/health"\nallow_remote = true')
    assert "[guards]: an attached target with [service].allow_remote = true is someone's deployment: declare at " \
           "least one stop condition" in problems(tmp_path, allowed)
    guarded = allowed + "\n[guards.error_rate]\nabove = 0.5\nfor_s = 5\n"
    target = load_target(write(tmp_path, guarded), environ=ENV)
    assert target.service.allow_remote
    assert target.guards.error_rate is not None


def test_a_target_without_attach_still_needs_its_command(tmp_path: Path) -> None:
    text = '[service]\nurl = "http://127.0.0.1:{port}"\nhealth = "/"\n'
    assert "[service].command: missing" in problems(tmp_path, text)
