"""Network faults on the embedded proxy's extensions: leases (renewed while the runner holds the
fault, reverted normally, degraded and said so in the receipt on a server without leases) and
ConnectionsNotAccepted. Real environment: a stand-in SUT, the fake external API, and the embedded
proxy in this process (with and without its extensions)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.envs import write_target

from chaos.env.local import LocalBackend, LocalEnvironment
from chaos.env.registry import Registry
from chaos.errors import FaultError
from chaos.faults import ConnectionsNotAccepted, ProxyDisabled, ToxicFault, injected
from chaos.proxy import EmbeddedProxy
from chaos.targetfile import load_target

LEASE_S = 0.6  # renewed every 0.2 s; every hold below outlasts it at least twice

SERVICE = '''
command = ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/"
[service.env]
EXTERNAL_API_URL = "{external.url}"
'''


def start_env(tmp: Path, proxy_url: str) -> LocalEnvironment:
    target = load_target(write_target(tmp, SERVICE, deps='[dependencies.external]\nkind = "http"\n'))
    return LocalBackend(toxiproxy_url=proxy_url, registry=Registry(tmp / "registry")).start(
        target, worker_id="leases", workdir=tmp / "work")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    with EmbeddedProxy(host="127.0.0.1", port=0) as proxy, \
            start_env(tmp_path_factory.mktemp("leases"), proxy.url) as environment:
        yield environment


@pytest.fixture(scope="module")
def plain_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    """On our server with its extensions off: it answers as a real Toxiproxy 2.12 (no leases)."""
    with EmbeddedProxy(host="127.0.0.1", port=0, extensions=False) as proxy, \
            start_env(tmp_path_factory.mktemp("plain"), proxy.url) as environment:
        yield environment


def renewers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("chaos-lease-")]


def test_toxic_fault_is_renewed_while_held_and_reverted_after(env: LocalEnvironment) -> None:
    env.heal()
    dep = env.dependency("external")
    fault = ToxicFault(client=env.proxy, dependency=dep, toxic_type="latency", attributes={"latency": 50},
                       streams=("upstream", "downstream"), lease_s=LEASE_S)
    with injected(fault) as receipt:
        assert renewers() == [f"chaos-lease-{fault.name}"]
        time.sleep(3 * LEASE_S)  # three leases long: only renewals can keep the toxics
        assert sorted(t.name for t in env.proxy.toxics(dep.proxy_name)) == [
            "chaos_latency_downstream", "chaos_latency_upstream"]
        assert {lease.toxic for lease in env.proxy.leases()} == {"chaos_latency_downstream", "chaos_latency_upstream"}
    assert any(note.startswith(f"leased for {LEASE_S:g} s") for note in receipt.notes), receipt.notes
    assert receipt.reverted_cleanly
    assert renewers() == []  # stopped by the revert
    assert env.proxy.toxics(dep.proxy_name) == []
    assert env.proxy.leases() == []


def test_proxy_disabled_fault_is_leased(env: LocalEnvironment) -> None:
    env.heal()
    dep = env.dependency("external")
    with injected(ProxyDisabled(client=env.proxy, dependency=dep, lease_s=LEASE_S)) as receipt:
        time.sleep(3 * LEASE_S)
        info = env.proxy.get_proxy(dep.proxy_name)
        assert not info.enabled
        assert info.lease("proxy_disabled") is not None
    assert receipt.bit, receipt  # connections were refused while it held
    assert receipt.reverted_cleanly
    assert env.proxy.get_proxy(dep.proxy_name).enabled
    assert renewers() == []


def test_a_lease_lost_under_a_live_run_is_reported(env: LocalEnvironment) -> None:
    """Someone removes the toxic mid-fault: the renewal is refused (404), the receipt says the fault
    was reverted before the heal, and the heal itself still ends clean."""
    env.heal()
    dep = env.dependency("external")
    fault = ToxicFault(client=env.proxy, dependency=dep, toxic_type="latency", lease_s=LEASE_S)
    with injected(fault) as receipt:
        env.proxy.delete_toxic(dep.proxy_name, "chaos_latency_downstream")
        time.sleep(2 * LEASE_S)  # at least one renewal round after the delete (every 0.2 s)
    assert any("lapsed before the heal" in note for note in receipt.notes), receipt.notes
    assert not receipt.bit  # nothing proves the toxic held for the window
    assert receipt.reverted_cleanly


def test_without_leases_the_fault_runs_unleased_and_says_so(plain_env: LocalEnvironment) -> None:
    plain_env.heal()
    dep = plain_env.dependency("external")
    fault = ToxicFault(client=plain_env.proxy, dependency=dep, toxic_type="latency", lease_s=LEASE_S)
    with injected(fault) as receipt:
        assert renewers() == []
        time.sleep(2 * LEASE_S)
        assert [t.name for t in plain_env.proxy.toxics(dep.proxy_name)] == ["chaos_latency_downstream"]
    assert any(note.startswith("no lease: the proxy server at") for note in receipt.notes), receipt.notes
    assert receipt.reverted_cleanly
    assert plain_env.proxy.toxics(dep.proxy_name) == []


def test_no_lease_requested_means_no_renewer(env: LocalEnvironment) -> None:
    env.heal()
    dep = env.dependency("external")
    with injected(ToxicFault(client=env.proxy, dependency=dep, toxic_type="latency", lease_s=None)) as receipt:
        assert renewers() == []
        assert env.proxy.leases() == []
    assert receipt.notes == []


def test_connections_not_accepted_times_out_new_clients_only(env: LocalEnvironment) -> None:
    env.heal()
    dep = env.dependency("external")
    endpoint = dep.proxied
    with httpx.Client(base_url=dep.url(), timeout=httpx.Timeout(5.0, connect=0.5)) as live:
        assert live.get("/before").status_code == 200  # a kept-alive connection, made before the fault
        with injected(ConnectionsNotAccepted(client=env.proxy, dependency=dep, lease_s=LEASE_S)) as receipt:
            time.sleep(2 * LEASE_S)  # renewed: still not accepting after two leases
            with pytest.raises(TimeoutError):
                socket.create_connection((endpoint.host, endpoint.port), timeout=0.5).close()
            assert live.get("/during").status_code == 200  # the live connection carries on
            with pytest.raises(httpx.ConnectTimeout):
                httpx.get(dep.url() + "/new", timeout=httpx.Timeout(5.0, connect=0.5))
    assert receipt.bit, receipt
    assert any(note.startswith(f"leased for {LEASE_S:g} s") for note in receipt.notes), receipt.notes
    assert receipt.reverted_cleanly
    assert env.proxy.get_proxy(dep.proxy_name).accepting
    socket.create_connection((endpoint.host, endpoint.port), timeout=1.0).close()


def test_connections_not_accepted_refuses_to_run_without_the_extension(plain_env: LocalEnvironment) -> None:
    plain_env.heal()
    dep = plain_env.dependency("external")
    with pytest.raises(FaultError, match="ignored `accept: false`"), \
            injected(ConnectionsNotAccepted(client=plain_env.proxy, dependency=dep)):
        pytest.fail("the block must not run: the fault could not be injected")
    socket.create_connection((dep.proxied.host, dep.proxied.port), timeout=1.0).close()
