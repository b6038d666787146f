"""heal(): bring an environment back to its healthy baseline between experiments (both backends).

Order matters: dependencies first (a paused Postgres would make every later step hang), then the
proxies in front of them, then the fake API's behaviour, and the SUT (and its extra processes) last, so that it starts
against healthy dependencies. Each handle knows how to bring itself back (`recover()`: a process is
resumed or started, a container unpaused, started or waited for); proxies are repaired here, the same
way on both backends, against what the environment created them with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from chaos.env.base import HttpUpstreamHandle
from chaos.errors import ToxiproxyApiError
from chaos.proxy.client import ToxiproxyClient
from chaos.upstream.stubs import Stub

__all__ = ["ProxySpec", "Recoverable", "RecoverableSut", "heal_environment", "heal_proxy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxySpec:
    """A proxy as the environment created it, with addresses as the Toxiproxy server sees them (in a
    compose project, the upstream is the dependency's service name and container port)."""

    name: str
    listen: str
    upstream: str


class Recoverable(Protocol):
    def recover(self) -> list[str]:
        """Bring it back up if it is frozen or down; one line per repair (for the journal)."""
        ...


class RecoverableSut(Recoverable, Protocol):
    def wait_ready(self, timeout_s: float | None = None) -> None: ...


def heal_environment(*, dependencies: Iterable[Recoverable], proxy: ToxiproxyClient,
                     proxies: Iterable[ProxySpec], sut: RecoverableSut,
                     stubs: Mapping[str, Sequence[Stub]] | None = None,
                     processes: Iterable[RecoverableSut] = ()) -> list[str]:
    """Repair whatever differs from the baseline; returns one line per repair (for the journal).

    The fake APIs are reset to their default behaviour with the target's stubs (`stubs`, by name).
    The target's extra processes (a worker) are repaired with the SUT, after the dependencies they
    share with it, and waited for like it."""
    handles = list(dependencies)
    repairs: list[str] = []
    for handle in handles:
        repairs.extend(handle.recover())
    for spec in proxies:
        repairs.extend(heal_proxy(proxy, spec))
    for handle in handles:
        if isinstance(handle, HttpUpstreamHandle):
            handle.control.reset()
            wanted = list((stubs or {}).get(handle.name, ()))
            if handle.control.stubs() != wanted:
                handle.control.set_stubs(wanted)
                repairs.append(f"restored the {len(wanted)} stubs of the fake API {handle.name}")
    extras = list(processes)
    repairs.extend(sut.recover())
    for process in extras:
        repairs.extend(process.recover())
    # The baseline is a SUT that answers its readiness check: after a dependency came back its pool
    # may still be reconnecting, and an experiment must not start in that state.
    sut.wait_ready()
    for process in extras:
        process.wait_ready()
    return repairs


def heal_proxy(client: ToxiproxyClient, spec: ProxySpec) -> list[str]:
    """Recreate the proxy if it is gone, remove its toxics, point it back where it was, enable it
    (and make it accept connections again)."""
    name = spec.name
    try:
        info = client.get_proxy(name)
    except ToxiproxyApiError as exc:
        if exc.status != 404:
            raise
        client.create_proxy(name, upstream=spec.upstream, listen=spec.listen)
        return [f"recreated missing proxy {name} on {spec.listen}"]
    repairs = []
    for toxic in info.toxics:
        client.delete_toxic(name, toxic.name)
        repairs.append(f"removed toxic {toxic.name} ({toxic.type}, {toxic.stream}) from proxy {name}")
    if info.upstream != spec.upstream or not _same_listener(info.listen, spec.listen):
        client.update_proxy(name, upstream=spec.upstream, listen=spec.listen)
        repairs.append(f"pointed proxy {name} back at {spec.upstream} from {spec.listen}")
    if not info.enabled:
        client.update_proxy(name, enabled=True)
        repairs.append(f"enabled proxy {name}")
    if not info.accepting:  # chaos extension (ConnectionsNotAccepted); always True on a real Toxiproxy
        client.update_proxy(name, accept=True)
        repairs.append(f"proxy {name} accepts connections again")
    return repairs


_WILDCARDS = {"0.0.0.0", "::", "[::]", ""}


def _same_listener(reported: str, wanted: str) -> bool:
    """Go's Toxiproxy reports a listener on 0.0.0.0:P as [::]:P; re-pointing it would cut connections.
    A listener on a specific address (127.0.0.1:P, the local backend's) must match exactly."""
    if reported == wanted:
        return True
    r_host, _, r_port = reported.rpartition(":")
    w_host, _, w_port = wanted.rpartition(":")
    return r_port == w_port and r_host in _WILDCARDS and w_host in _WILDCARDS
