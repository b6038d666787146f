"""heal(): bring a local environment back to its healthy baseline between experiments.

Order matters: dependencies first (a paused Postgres would make every later step hang), then the
proxies in front of them, then the fake API's behaviour, and the SUT last, so that it starts
against healthy dependencies.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping

from chaos.env._server import LocalServer
from chaos.env.proxies import ProxyServer
from chaos.env.sut import LocalSut
from chaos.env.upstream import LocalUpstream
from chaos.errors import ToxiproxyApiError

__all__ = ["heal_environment"]


def heal_environment(*, servers: Mapping[str, LocalServer], proxies: ProxyServer, sut: LocalSut) -> list[str]:
    """Repair whatever differs from the baseline; returns one line per repair (for the journal)."""
    repairs: list[str] = []
    for name, server in servers.items():
        if server.paused or server.is_stopped_by_signal():
            server.resume()
            repairs.append(f"resumed paused {server.kind} {name}")
        if not server.is_running():
            server.start()
            repairs.append(f"started {server.kind} {name} again (it was down)")
    for server in servers.values():
        repairs.extend(_heal_proxy(proxies, server))
    for server in servers.values():
        if isinstance(server, LocalUpstream):
            server.control.reset()
    if sut.is_stopped():
        sut.signal(signal.SIGCONT)
        repairs.append("resumed the SUT (it was SIGSTOPped)")
    if not sut.is_alive():
        code = sut.exit_code()
        sut.ensure_running()
        repairs.append(f"restarted the SUT (it had exited with code {code})")
    # The baseline is a SUT that answers its readiness check: after a dependency came back its pool
    # may still be reconnecting, and an experiment must not start in that state.
    sut.wait_ready()
    return repairs


def _heal_proxy(proxies: ProxyServer, server: LocalServer) -> list[str]:
    client, name = proxies.client, server.proxy_name
    try:
        info = client.get_proxy(name)
    except ToxiproxyApiError as exc:
        if exc.status != 404:
            raise
        proxies.create(name, server.direct, listen=server.proxied)
        return [f"recreated missing proxy {name} on {server.proxied.address}"]
    repairs = []
    for toxic in info.toxics:
        client.delete_toxic(name, toxic.name)
        repairs.append(f"removed toxic {toxic.name} ({toxic.type}, {toxic.stream}) from proxy {name}")
    if info.upstream != server.direct.address or info.listen != server.proxied.address:
        client.update_proxy(name, upstream=server.direct.address, listen=server.proxied.address)
        repairs.append(f"pointed proxy {name} back at {server.direct.address} from {server.proxied.address}")
    if not info.enabled:
        client.update_proxy(name, enabled=True)
        repairs.append(f"enabled proxy {name}")
    return repairs
