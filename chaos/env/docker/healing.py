"""heal() for a compose environment: containers back up, proxies clean, fake API reset, SUT running.

The order is the local backend's (chaos/env/healing.py), for the same reasons: dependencies first
(a paused Postgres would make every later step hang), then their proxies, then the fake API's
behaviour, the SUT last so it starts against healthy dependencies. What differs is how each step
is done: on containers, and with the proxy's upstream as the Toxiproxy container sees it.
"""

from __future__ import annotations

from collections.abc import Mapping

from chaos.env.docker.dependencies import DockerDependency, DockerUpstream
from chaos.env.docker.sut import DockerSut
from chaos.errors import ToxiproxyApiError
from chaos.proxy.client import ToxiproxyClient

__all__ = ["heal_compose_environment"]


def heal_compose_environment(*, dependencies: Mapping[str, DockerDependency], proxy: ToxiproxyClient,
                             proxy_specs: Mapping[str, tuple[str, str]], sut: DockerSut) -> list[str]:
    """Repair whatever differs from the baseline; one line per repair (for the journal).

    `proxy_specs` maps each proxy name to its (listen, upstream) as created at start-up.
    """
    repairs: list[str] = []
    for name, dep in dependencies.items():
        state = dep.state()
        if state.paused:
            dep.resume()
            repairs.append(f"unpaused {dep.kind} {name} (container {dep.service})")
        if not state.running:
            dep.start()
            repairs.append(f"started {dep.kind} {name} again (container was {state.status})")
        elif state.restarting or not dep.is_running():
            dep.wait_ready(dep.start_timeout_s)
            repairs.append(f"waited for {dep.kind} {name} to come back (restart policy)")
    for name, (listen, upstream) in proxy_specs.items():
        repairs.extend(_heal_proxy(proxy, name, listen=listen, upstream=upstream))
    for dep in dependencies.values():
        if isinstance(dep, DockerUpstream):
            dep.control.reset()
    if sut.is_paused():
        sut.container.unpause()
        repairs.append("unpaused the SUT's container")
    if not sut.is_alive():
        code = sut.exit_code()
        sut.ensure_running()
        repairs.append(f"restarted the SUT (its last run ended with code {code})")
    # As the local backend: the baseline is a SUT that answers its readiness check (after a dependency
    # came back its pool may still be reconnecting, and an experiment must not start in that state).
    sut.wait_ready()
    return repairs


def _heal_proxy(client: ToxiproxyClient, name: str, *, listen: str, upstream: str) -> list[str]:
    try:
        info = client.get_proxy(name)
    except ToxiproxyApiError as exc:
        if exc.status != 404:
            raise
        client.create_proxy(name, upstream=upstream, listen=listen)
        return [f"recreated missing proxy {name} on {listen}"]
    repairs = []
    for toxic in info.toxics:
        client.delete_toxic(name, toxic.name)
        repairs.append(f"removed toxic {toxic.name} ({toxic.type}, {toxic.stream}) from proxy {name}")
    if info.upstream != upstream or not _same_listener(info.listen, listen):
        client.update_proxy(name, upstream=upstream, listen=listen)
        repairs.append(f"pointed proxy {name} back at {upstream} from {listen}")
    if not info.enabled:
        client.update_proxy(name, enabled=True)
        repairs.append(f"enabled proxy {name}")
    return repairs


_WILDCARDS = {"0.0.0.0", "::", "[::]", ""}


def _same_listener(reported: str, wanted: str) -> bool:
    """Go's Toxiproxy reports a listener on 0.0.0.0:P as [::]:P; re-pointing it would cut connections."""
    if reported == wanted:
        return True
    r_host, _, r_port = reported.rpartition(":")
    w_host, _, w_port = wanted.rpartition(":")
    return r_port == w_port and r_host in _WILDCARDS and w_host in _WILDCARDS
