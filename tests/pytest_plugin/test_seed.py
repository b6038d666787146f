"""--chaos-seed: one seed drives every random choice, a drawn seed is printed, and the same seed
replays the same choices whatever the selection (-k) or distribution (-n 2).

Real runs: pytest in a subprocess with the plugin and an environment (a stand-in SUT, the fake
external API behind the embedded proxy). Each experiment records its seeds, its `{unique}` token,
a drawn fault offset, which of 12 connections a toxicity-0.5 toxic hit, and which of 12 calls a
`fail_fraction` of 0.5 failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.envs import write_target

SERVICE = '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
[service.env]
EXTERNAL_API_URL = "{external.url}"
'''

EXPERIMENTS = '''
import json, os, socket
from pathlib import Path

import httpx
from chaos.contracts import Status, Verdict
from chaos.upstream.control import Behaviour

def record(experiment, chaos_seed):
    api = experiment.env.dependency("external")
    experiment.env.proxy.add_toxic(api.proxy_name, "limit_data", attributes={"bytes": 0}, toxicity=0.5)
    hits = []
    for _ in range(12):
        with socket.create_connection((api.proxied.host, api.proxied.port), timeout=5) as sock:
            sock.sendall(b"GET /x HTTP/1.0\\r\\n\\r\\n")
            hits.append(sock.recv(1) == b"")
    api.control.set(Behaviour(fail_fraction=0.5))
    with httpx.Client(base_url=api.url(proxied=False), timeout=5) as client:
        statuses = [client.get("/call").status_code for _ in range(12)]
    out = Path(os.environ["SEED_OUT"]) / (os.environ.get("PYTEST_XDIST_WORKER", "main") + "-" +
                                          experiment.name + ".json")
    out.write_text(json.dumps({
        "test": experiment.name, "run_seed": experiment.seed, "chaos_seed": chaos_seed,
        "experiment_seed": experiment.experiment_seed, "token": experiment.token,
        "offset": experiment.draw_offset(0.0, 10.0), "toxic_hits": hits, "statuses": statuses}))
    experiment.check(Verdict(contract="recorded", status=Status.PASSED, summary="choices recorded",
                             evidence=(), figures={}))

def test_a(experiment, chaos_seed):
    record(experiment, chaos_seed)

def test_b(experiment, chaos_seed):
    record(experiment, chaos_seed)

def test_c(experiment, chaos_seed):
    record(experiment, chaos_seed)
'''


Record = dict[str, Any]


def run(tmp_path: Path, label: str, *args: str, env: dict[str, str] | None = None) -> tuple[str, dict[str, Record]]:
    """Run the three experiments; returns pytest's output and each test's record by name."""
    out = tmp_path / label
    out.mkdir()
    (tmp_path / "test_seeded.py").write_text(EXPERIMENTS)
    target = write_target(tmp_path, SERVICE, deps='[dependencies.external]\nkind = "http"\n')
    environ = {k: v for k, v in os.environ.items() if k not in ("TOXIPROXY_URL", "CHAOS_SEED")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(tmp_path / "test_seeded.py"), "--chaos-target", str(target),
         f"--basetemp={tmp_path / ('base-' + label)}", *args],
        cwd=tmp_path, env={**environ, "SEED_OUT": str(out), **(env or {})}, capture_output=True, text=True,
        timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = {}
    for path in out.glob("*.json"):
        data = json.loads(path.read_text())
        records[data["test"]] = data
    return proc.stdout, records


def choices(record: Record) -> tuple[object, ...]:
    return (record["chaos_seed"], record["experiment_seed"], record["token"], record["offset"],
            record["toxic_hits"], record["statuses"])


def test_one_seed_replays_every_choice_across_selection_and_workers(tmp_path: Path) -> None:
    output, spread = run(tmp_path, "spread", "--chaos-seed", "42", "-n", "2")
    assert "chaos: seed=42 (--chaos-seed); replay with --chaos-seed 42" in output
    assert sorted(spread) == ["test_a", "test_b", "test_c"]
    assert {r["run_seed"] for r in spread.values()} == {42}
    for record in spread.values():  # the draws really vary: both outcomes among 12 coin flips
        assert 0 < sum(record["toxic_hits"]) < 12, record
        assert {200, 503} == set(record["statuses"]), record
    # experiments of one run differ from each other (derived seeds, tokens, offsets)
    assert len({r["token"] for r in spread.values()}) == 3
    assert len({r["offset"] for r in spread.values()}) == 3

    # the same seed, another selection, no workers: the same choices
    _, alone = run(tmp_path, "alone", "--chaos-seed", "42", "-k", "test_b")
    assert list(alone) == ["test_b"]
    assert choices(alone["test_b"]) == choices(spread["test_b"])

    # no seed: one is drawn, printed, shared by both workers (so `--chaos-seed` with it replays the
    # run as the first two runs show), and its choices differ from 42's
    output, drawn = run(tmp_path, "drawn", "-n", "2")
    match = re.search(r"chaos: seed=(\d+) \(drawn at random\); replay with --chaos-seed (\d+)", output)
    assert match is not None, output
    seed = int(match.group(1))
    assert {r["run_seed"] for r in drawn.values()} == {seed}
    for name, record in drawn.items():
        assert record["token"] != spread[name]["token"]
        assert record["offset"] != spread[name]["offset"]
        assert (record["toxic_hits"], record["statuses"]) != (spread[name]["toxic_hits"], spread[name]["statuses"])



def test_a_bad_seed_is_a_usage_error_naming_its_source(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path / "test_nothing.py")],
                          cwd=tmp_path, env={**os.environ, "CHAOS_SEED": "soon"}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "invalid seed 'soon' from CHAOS_SEED environment variable: expected an integer >= 0" in proc.stderr
