"""[service.prepare]: a valid table loads into a Prepare; every broken one names the key at fault."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaos.errors import TargetFileError
from chaos.targetfile import Prepare, load_target

SERVICE = """
[service]
command = ["{python}", "-m", "app"]
url = "http://127.0.0.1:{port}"
health = "/health"

[service.env]
DATABASE_URL = "{postgres.url}"

[dependencies.postgres]
kind = "postgres"
"""


def write(tmp_path: Path, prepare: str) -> Path:
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "0001_initial.py").write_text("# one\n")
    (tmp_path / "migrations" / "sub").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "sub" / "0002.sql").write_text("-- two\n")
    (tmp_path / "seed.py").write_text("print('seed')\n")
    path = tmp_path / "chaos.toml"
    path.write_text(SERVICE + textwrap.dedent(prepare))
    return path


def problems_of(tmp_path: Path, prepare: str) -> str:
    with pytest.raises(TargetFileError) as info:
        load_target(write(tmp_path, prepare))
    return str(info.value)


def test_prepare_table_loads_with_its_commands_and_inputs(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, """
        [service.prepare]
        commands = [["{python}", "manage.py", "migrate"], ["{python}", "seed.py", "--db", "{postgres.url}"]]
        inputs = ["migrations/**/*", "seed.py", "seed.py"]
        timeout_s = 90
    """))
    prepare = target.service.prepare
    assert prepare is not None
    assert prepare.commands == (("{python}", "manage.py", "migrate"),
                                ("{python}", "seed.py", "--db", "{postgres.url}"))
    assert prepare.inputs == ("migrations/**/*", "seed.py", "seed.py")
    assert prepare.timeout_s == 90.0
    assert prepare.base == tmp_path.resolve()
    # the glob recurses, files only (no directories), each once
    assert prepare.input_files() == sorted([(tmp_path / "migrations" / "0001_initial.py").resolve(),
                                            (tmp_path / "migrations" / "sub" / "0002.sql").resolve(),
                                            (tmp_path / "seed.py").resolve()])


def test_no_prepare_table_means_none_and_an_empty_one_takes_defaults(tmp_path: Path) -> None:
    assert load_target(write(tmp_path, "")).service.prepare is None
    prepare = load_target(write(tmp_path, "[service.prepare]\n")).service.prepare
    assert prepare == Prepare(base=tmp_path.resolve())
    assert (prepare.commands, prepare.inputs, prepare.timeout_s) == ((), (), 600.0)


@pytest.mark.parametrize(("prepare", "expected"), [
    ('[service.prepare]\ncommands = "manage.py migrate"\n',
     "[service.prepare].commands: expected a list of argv lists"),
    ('[service.prepare]\ncommands = [["python", 3]]\n',
     "[service.prepare].commands[0]: expected a non-empty list of non-empty strings, got ['python', 3]"),
    ('[service.prepare]\ncommands = [[]]\n',
     "[service.prepare].commands[0]: expected a non-empty list of non-empty strings, got []"),
    ('[service.prepare]\ncommands = [["python", "{postgres.uri}"]]\n',
     "[service.prepare].commands[0][1]: unknown template name {postgres.uri} in '{postgres.uri}'; "
     "did you mean {postgres.url}?"),
    ('[service.prepare]\ninputs = ["migrations/*.pyc"]\n',
     "[service.prepare].inputs[0]: 'migrations/*.pyc' matches no file under"),
    ('[service.prepare]\ninputs = ["/etc/passwd"]\n',
     "[service.prepare].inputs[0]: expected a path relative to the target file's directory"),
    ('[service.prepare]\ninputs = "seed.py"\n',
     "[service.prepare].inputs: expected a list of files or globs"),
    ('[service.prepare]\ntimeout_s = "10m"\n',
     "[service.prepare].timeout_s: expected seconds > 0 (a finite number), got '10m'"),
    ('[service.prepare]\ncommand = [["true"]]\n',
     "[service.prepare].command: unknown key; did you mean 'commands'?"),
    ('[service]\nprepare = "migrate"\n',
     "[service].prepare: expected a table, got 'migrate'"),
])
def test_broken_prepare_names_the_key(tmp_path: Path, prepare: str, expected: str) -> None:
    if prepare.startswith("[service]\n"):   # a second [service] header is a TOML error: patch the first
        path = write(tmp_path, "")
        path.write_text(path.read_text().replace('health = "/health"', 'health = "/health"\nprepare = "migrate"'))
        with pytest.raises(TargetFileError) as info:
            load_target(path)
        message = str(info.value)
    else:
        message = problems_of(tmp_path, prepare)
    assert expected in message


def test_every_problem_of_a_prepare_table_is_reported_at_once(tmp_path: Path) -> None:
    message = problems_of(tmp_path, """
        [service.prepare]
        commands = [["python", "{nope}"], ["ok"], ["{bad"]]
        inputs = ["missing.txt"]
    """)
    assert "commands[0][1]: unknown template name {nope}" in message
    assert "commands[2][0]: bad template" in message
    assert "inputs[0]: 'missing.txt' matches no file" in message
