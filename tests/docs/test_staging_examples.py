"""The target files of docs/staging.md load: the [attach] reference and the worked Kubernetes and
remote compose examples are valid target files (they are not run here: no cluster, no second host),
and their commands come out as a person would type them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaos.targetfile import load_target
from chaos.targetfile.attach import Action

ROOT = Path(__file__).resolve().parents[2]
STAGING = ROOT / "docs" / "staging.md"
ENV = {"PG_ADMIN_DSN": "host=127.0.0.1 user=postgres password=doc-secret", "PG_ADMIN_PASSWORD": "doc-secret"}


def toml_blocks() -> list[str]:
    return [b for b in re.findall(r"```toml\n(.*?)```", STAGING.read_text(), re.S) if "[attach]" in b]


@pytest.mark.parametrize("index", range(3))
def test_every_attach_example_of_the_staging_guide_loads(index: int, tmp_path: Path) -> None:
    blocks = toml_blocks()
    assert len(blocks) == 3
    path = tmp_path / "staging.toml"
    path.write_text(blocks[index])
    target = load_target(path, environ=ENV)
    assert target.attach is not None
    assert "doc-secret" in target.secrets


def test_the_doubled_braces_reach_kubectl_and_docker_as_single_ones(tmp_path: Path) -> None:
    _, kubernetes, compose = toml_blocks()
    (tmp_path / "k8s.toml").write_text(kubernetes)
    (tmp_path / "compose.toml").write_text(compose)
    k8s = load_target(tmp_path / "k8s.toml", environ=ENV).attach
    docker = load_target(tmp_path / "compose.toml", environ=ENV).attach
    assert k8s is not None
    assert docker is not None
    exit_code = k8s.service.commands[Action.EXIT_CODE].display()
    assert "jsonpath='{.items[0].status.containerStatuses[?(@.name==\"app\")].lastState.terminated.exitCode}'" \
        in exit_code
    assert k8s.service.commands[Action.SIGNAL].display(signal="TERM") == \
        "kubectl -n staging exec deploy/shop -c app -- kill -s TERM 1"
    assert docker.service.commands[Action.PID].display() == \
        "docker inspect -f '{{if .State.Running}}{{.State.Pid}}{{end}}' shop-app-1"
