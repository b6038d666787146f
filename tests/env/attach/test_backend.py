"""The attach backend against the loopback deployment: it starts nothing, drives the deployment only
through its Toxiproxy and declared commands, heals what the suite left, and restores what it changed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from support.deployment import ADMIN_PASSWORD, SERVICE_COMMANDS, Deployment, processes
from support.envs import sut_environ

from chaos.env.attach import AttachBackend, AttachEnvironment, AttachError
from chaos.errors import CommandNotDeclared
from chaos.faults import DependencyKilled, DependencyPaused, DependencyRestarted, SutSignalled, ToxicFault, injected
from chaos.proxy import ToxiproxyClient
from chaos.targetfile import load_target
from chaos.targetfile.attach import Action


def attach(deployment: Deployment, target: Path | None = None, **sut_env: str) -> AttachEnvironment:
    path = target or deployment.write_target()
    return AttachBackend(environ=deployment.environ).start(load_target(path, environ=deployment.environ),
                                                           sut_env=sut_env)


def test_attaching_starts_nothing_and_closing_leaves_the_deployment_as_it_was(deployment: Deployment) -> None:
    before, proxies, kids = deployment.pids(), deployment.proxy_state(), processes(parent=os.getpid())
    env = attach(deployment)
    try:
        assert env.backend == "attach"
        assert env.sut.base_url == deployment.sut_url
        assert env.reaped == []
        pg = env.postgres()
        assert (pg.proxy_name, pg.direct.port) == ("postgres", deployment.ports["postgres"])
        assert pg.pid() == before["postgres"]
        assert env.sut.pid() == before["sut"]
        assert deployment.pids() == before
    finally:
        env.close()
    assert deployment.pids() == before
    assert deployment.proxy_state() == proxies
    assert processes(parent=os.getpid()) == kids   # every command it ran was reaped
    actions = [r for r in env.command_log.since((0, {}))[0] if not r.is_query]
    assert actions == []         # attaching and healing a healthy deployment changed nothing


def test_a_missing_proxy_or_an_unreachable_toxiproxy_is_one_line(deployment: Deployment, tmp_path: Path) -> None:
    text = deployment.write_target().read_text()
    wrong_proxy = deployment.dir / "wrong-proxy.toml"
    wrong_proxy.write_text(text.replace("[attach.dependencies.redis]\n",
                                        '[attach.dependencies.redis]\nproxy = "rdis"\n'))
    with pytest.raises(AttachError) as info:
        attach(deployment, wrong_proxy)
    assert str(info.value) == (f"dependency redis: no proxy 'rdis' on the Toxiproxy at {deployment.proxy_url} (it has: "
                               "external, postgres, redis); set [attach.dependencies.redis].proxy to the proxy in "
                               "front of it")
    closed = deployment.dir / "closed.toml"
    closed.write_text(text.replace(deployment.proxy_url, "http://127.0.0.1:9"))
    with pytest.raises(AttachError, match=r"^the Toxiproxy at http://127.0.0.1:9 \(\[attach\].toxiproxy_url\) cannot "
                                          r"be used: GET /version: toxiproxy answered 0: cannot reach"):
        attach(deployment, closed)


def test_attaching_heals_what_an_earlier_run_left_and_nothing_else(deployment: Deployment) -> None:
    with ToxiproxyClient(deployment.proxy_url) as client:
        client.add_toxic("postgres", "latency", name="chaos_latency_downstream", attributes={"latency": 50})
        client.add_toxic("postgres", "latency", name="teammate_latency", attributes={"latency": 1})
        client.update_proxy("redis", enabled=False)
        try:
            env = attach(deployment)
            env.close()
            assert env.reaped == [
                "removed toxic chaos_latency_downstream (latency, downstream) from proxy postgres "
                "(left by an earlier run)",
                "enabled proxy redis (left by an earlier run)"]
            assert [t.name for t in client.toxics("postgres")] == ["teammate_latency"]   # not the suite's
        finally:
            client.delete_toxic("postgres", "teammate_latency")


def test_faults_go_through_the_declared_commands(deployment: Deployment) -> None:
    before = deployment.pids()
    env = attach(deployment)
    try:
        pg = env.postgres()
        with injected(DependencyRestarted(dependency=pg, down_s=0.5)) as restart:
            pass
        assert restart.effects == [f"postgres main pid {before['postgres']} -> {deployment.pid('postgres')}"]
        with injected(DependencyKilled(dependency=env.redis())) as killed:
            assert deployment.pid("redis") is None
        assert killed.effects == [f"redis pid {before['redis']} killed with SIGKILL"]
        assert deployment.pid("redis") not in (None, before["redis"])    # started again by the revert
        with injected(DependencyPaused(dependency=env.upstream())):
            state = Path(f"/proc/{before['external']}/stat").read_text().rsplit(")", 1)[1].split()[0]
            assert state == "T"
        with injected(ToxicFault(client=env.proxy, dependency=pg, toxic_type="latency",
                                 attributes={"latency": 20})) as toxic:
            assert [t.name for t in env.proxy.toxics("postgres")] == ["chaos_latency_downstream"]
        assert toxic.reverted_cleanly
        assert env.proxy.toxics("postgres") == []
        with injected(SutSignalled(sut=env.sut, sig=signal.SIGTERM)) as term:
            assert env.sut.wait_exit(15.0) == 0   # the reference service drains and exits 0
        assert term.effects == [f"SIGTERM delivered to SUT pid {before['sut']}",
                                f"SUT pid {before['sut']} exited with code 0"]
        assert deployment.pid("sut") not in (None, before["sut"])
        runs = [(r.what, r.exit_code) for r in env.command_log.since((0, {}))[0] if not r.is_query]
        assert runs == [("stop postgres", 0), ("start postgres", 0), ("kill redis", 0), ("start redis", 0),
                        ("pause external", 0), ("resume external", 0), ("signal TERM to the service", 0),
                        ("start the service", 0)]
    finally:
        env.close()


def test_a_command_the_target_does_not_declare_is_named(deployment: Deployment) -> None:
    commands = "\n".join(line for line in SERVICE_COMMANDS.splitlines() if not line.startswith("signal"))
    env = attach(deployment, deployment.write_target(name="no-signal.toml", service_commands=commands))
    try:
        with pytest.raises(CommandNotDeclared, match=r"^the target declares no \[attach.service\].signal: cannot send "
                                                     r"SIGTERM to the service$"):
            env.sut.signal(signal.SIGTERM)
        assert env.target.attach is not None
        assert Action.SIGNAL not in env.target.attach.service.commands
    finally:
        env.close()


def test_redeploy_switches_a_defect_on_and_back_off(deployment: Deployment) -> None:
    env = attach(deployment, SUT_DEFECTS="ready_ignores_db")
    try:
        switched = deployment.pid("sut")
        assert switched is not None
        assert sut_environ(switched)["SUT_DEFECTS"] == "ready_ignores_db"
        (redeploy,) = [r for r in env.command_log.since((0, {}))[0] if r.action == "redeploy"]
        assert redeploy.what == "redeploy the service with SUT_DEFECTS=ready_ignores_db"
        assert ADMIN_PASSWORD not in redeploy.command + redeploy.output
    finally:
        env.close()
    restored = deployment.pid("sut")
    assert restored not in (None, switched)
    assert restored is not None
    assert sut_environ(restored)["SUT_DEFECTS"] == ""
