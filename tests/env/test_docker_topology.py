"""The docker backend's pure parts (addresses, variables, exit codes, env files) and the compose files'
conventions as Compose itself resolves them. No engine needed; the compose checks need the Compose CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.envs import REFERENCE_TARGET

from chaos.env.docker import ComposeSpec, NetworkMode
from chaos.env.docker._compose import ComposeCli, find_compose
from chaos.env.docker._container import exit_code_from_status
from chaos.env.docker._topology import Topology, compose_variable
from chaos.env.docker.sut import write_env_file
from chaos.errors import EngineError, ToolMissing
from chaos.targetfile import load_target


def topology(mode: NetworkMode) -> Topology:
    return Topology.allocate(load_target(REFERENCE_TARGET), mode=mode, services={"postgres": "db"},
                             toxiproxy_service="toxiproxy")


def test_exit_statuses_map_to_the_local_backends_codes() -> None:
    assert exit_code_from_status(137) == -9     # SIGKILL
    assert exit_code_from_status(143) == -15    # SIGTERM
    assert exit_code_from_status(0) == 0
    assert exit_code_from_status(1) == 1
    assert exit_code_from_status(255) == 255    # not a signal number


def test_compose_variables_are_named_after_the_dependency() -> None:
    assert compose_variable("my-db", "PORT") == "CHAOS_MY_DB_PORT"
    top = topology(NetworkMode.HOST)
    variables = top.compose_variables(sut_env_file=Path("/w/sut.env"))
    assert variables["CHAOS_SUT_ENV_FILE"] == "/w/sut.env"
    assert variables["CHAOS_POSTGRES_PORT"] == str(top.dependencies["postgres"].port)
    assert variables["CHAOS_POSTGRES_DB"] == "app"
    assert "CHAOS_REDIS_DB" not in variables
    ports = [int(v) for k, v in variables.items() if k.endswith("_PORT")]
    assert len(set(ports)) == len(ports) == 8    # SUT, proxy API, 3 x (server, proxy)


def test_the_service_reaches_proxies_on_loopback_with_host_networking() -> None:
    top = topology(NetworkMode.HOST)
    values = top.template_values(target_dir=Path("/t"), workdir=Path("/w"))
    port = top.dependencies["postgres"].proxy_port
    assert values["postgres.url"] == f"postgresql://app:app@127.0.0.1:{port}/app"
    assert top.proxy_listen("postgres") == f"127.0.0.1:{port}"
    assert values["port"] == str(top.sut_port)


def test_the_service_reaches_proxies_by_service_name_on_a_bridge() -> None:
    top = topology(NetworkMode.BRIDGE)
    values = top.template_values(target_dir=Path("/t"), workdir=Path("/w"))
    port = top.dependencies["redis"].proxy_port
    assert values["redis.url"] == f"redis://toxiproxy:{port}/0"
    assert top.proxy_listen("redis") == f"0.0.0.0:{port}"
    assert top.dependencies["postgres"].service == "db"
    # the suite itself always goes to 127.0.0.1 (published ports)
    assert top.suite_values()["redis.host"] == "127.0.0.1"


def test_env_files_carry_plain_values_and_refuse_newlines(tmp_path: Path) -> None:
    path = tmp_path / "sut.env"
    write_env_file(path, {"A": "postgresql://u:p w@h:1/d", "B": ""})
    assert path.read_text() == "A=postgresql://u:p w@h:1/d\nB=\n"
    with pytest.raises(ValueError, match="newline"):
        write_env_file(path, {"C": "two\nlines"})


def test_missing_compose_files_are_named(tmp_path: Path) -> None:
    spec = ComposeSpec(files=(tmp_path / "compose.yml",))
    with pytest.raises(EngineError, match=r"compose\.yml does not exist"):
        spec.files_for(NetworkMode.HOST)
    for mode in NetworkMode:
        assert all(p.is_file() for p in ComposeSpec.reference().files_for(mode))


def _compose() -> tuple[str, ...] | None:
    try:
        return find_compose()
    except ToolMissing:
        return None


COMPOSE = _compose()
needs_compose = pytest.mark.skipif(
    COMPOSE is None,
    reason="no Compose CLI (docker compose or docker-compose): scripts/docker-engine.sh start installs it")
SERVICES = ("postgres", "redis", "external", "toxiproxy", "sut")


def resolved(mode: NetworkMode, **variables: str) -> str:
    assert COMPOSE is not None
    names = ("POSTGRES", "REDIS", "EXTERNAL", "TOXIPROXY", "SUT", "POSTGRES_PROXY", "REDIS_PROXY",
             "EXTERNAL_PROXY")
    ports = {f"CHAOS_{n}_PORT": str(20000 + i) for i, n in enumerate(names)}
    cli = ComposeCli(command=COMPOSE, project="chaos-config-check",
                     files=ComposeSpec.reference().files_for(mode), variables={**ports, **variables})
    return cli.run("config", timeout_s=60)


@needs_compose
@pytest.mark.parametrize("mode", list(NetworkMode))
def test_every_service_has_a_health_check_and_its_conventions(mode: NetworkMode) -> None:
    config = resolved(mode)
    body = ("\n" + config).split("\nservices:\n", 1)[1].split("\nversion:", 1)[0]
    blocks = re.split(r"\n(?=  \w+:\n)", "\n" + body)
    by_name = {block.strip().split(":", 1)[0]: block for block in blocks if block.strip()}
    assert set(by_name) >= set(SERVICES), config
    for name in SERVICES:
        assert "healthcheck:" in by_name[name], name
    assert "stop_signal: SIGINT" in by_name["postgres"]
    assert "init: true" in by_name["sut"]
    assert "restart: on-failure" in by_name["sut"]
    assert "restart: unless-stopped" in by_name["postgres"]
    if mode is NetworkMode.HOST:
        assert all("network_mode: host" in by_name[s] for s in SERVICES)
        assert "ports:" not in config
        assert "0.0.0.0" not in config   # nothing binds all interfaces of the host
    else:
        assert "network_mode" not in config
        assert all(p.strip().startswith("- 127.0.0.1:") for p in re.findall(r"\n\s+- [^\n]*:\d+/tcp", config))


@needs_compose
def test_every_image_can_be_replaced_by_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("POSTGRES", "REDIS", "TOXIPROXY", "UPSTREAM", "SUT")
    for n in names:
        monkeypatch.delenv(f"CHAOS_{n}_IMAGE", raising=False)
    defaults = resolved(NetworkMode.HOST)
    assert "image: postgres:15" in defaults
    assert "image: redis:7" in defaults
    assert "image: ghcr.io/shopify/toxiproxy:2.12.0" in defaults
    overridden = resolved(NetworkMode.HOST, **{f"CHAOS_{n}_IMAGE": f"local/{n.lower()}:x" for n in names})
    for n in names:
        assert f"image: local/{n.lower()}:x" in overridden


def test_the_compose_cli_reports_failures_with_its_output(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  x:\n    image: [not, a, string]\n")
    if COMPOSE is None:
        pytest.skip("no Compose CLI: scripts/docker-engine.sh start installs it")
    cli = ComposeCli(command=COMPOSE, project="chaos-broken", files=(broken,), variables={})
    with pytest.raises(EngineError) as caught:
        cli.run("config", timeout_s=60)
    assert "exit code" in str(caught.value)
