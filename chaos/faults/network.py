"""Network faults through the dependency's proxy: any toxic, the proxy switched off, or its
connections never accepted (clients hit their connect timeout).

Each is leased (`lease_s`, default `DEFAULT_LEASE_S`): our proxy reverts it by itself if the runner
stops renewing, so a runner killed mid-fault leaves nothing behind for longer than one lease. On a
real Toxiproxy (no leases) the fault runs unleased and its receipt says so.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos.env.base import DependencyHandle
from chaos.errors import FaultError
from chaos.faults.database import connections_note
from chaos.faults.lease import DEFAULT_LEASE_S, LeaseRenewer, renew_while_injected, report_lapsed
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.proxy.client import ToxiproxyClient

__all__ = ["CONNECT_PROBE_TIMEOUT_S", "ConnectionsNotAccepted", "ProxyDisabled", "ToxicFault"]

CONNECT_PROBE_TIMEOUT_S = 1.0  # a loopback connect takes microseconds; no answer by then = not accepted


def _traffic(client: ToxiproxyClient, proxy_name: str) -> int | None:
    """Bytes the proxy has moved for `proxy_name` so far, or None where the server has no live metrics."""
    return client.proxy_bytes(proxy_name)


@dataclass(kw_only=True)
class ToxicFault:
    """A Toxiproxy toxic on one dependency's proxy, on one or both streams.

    Proof that it bit: the toxic is still in place just before the revert and the proxy moved bytes
    while it was (live byte counters of our embedded proxy; on a real Toxiproxy, whose counters only
    move when a connection closes, the listing alone is recorded and the experiment's own evidence
    has to show the effect).
    """

    client: ToxiproxyClient
    dependency: DependencyHandle
    toxic_type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    streams: Sequence[str] = ("downstream",)
    toxicity: float = 1.0
    lease_s: float | None = DEFAULT_LEASE_S   # None: no lease (the toxic stays if the runner dies)
    _bytes_before: int | None = field(default=None, init=False, repr=False)
    _renewer: LeaseRenewer | None = field(default=None, init=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.toxic_type}({self.dependency.name})"

    @property
    def intent(self) -> str:
        attrs = ", ".join(f"{k}={v}" for k, v in self.attributes.items())
        return (f"{self.toxic_type} toxic [{attrs}] on proxy {self.dependency.proxy_name}, "
                f"streams {'+'.join(self.streams)}, toxicity {self.toxicity:g}")

    def _toxic_name(self, stream: str) -> str:
        return f"chaos_{self.toxic_type}_{stream}"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        self._bytes_before = _traffic(self.client, self.dependency.proxy_name)
        lease_ids: list[str] = []
        for stream in self.streams:
            toxic = self._toxic_name(stream)
            undo.push(f"remove toxic {toxic} from {self.dependency.proxy_name}", functools.partial(self._delete, toxic))
            info = self.client.add_toxic(self.dependency.proxy_name, self.toxic_type, name=toxic, stream=stream,
                                         toxicity=self.toxicity, attributes=dict(self.attributes),
                                         lease_s=self.lease_s)
            if info.lease is not None:
                lease_ids.append(info.lease.id)
        self._renewer = renew_while_injected(client=self.client, lease_ids=lease_ids, lease_s=self.lease_s,
                                             fault=self.name, undo=undo, receipt=receipt)

    def _delete(self, toxic: str) -> None:
        if any(t.name == toxic for t in self.client.toxics(self.dependency.proxy_name)):
            self.client.delete_toxic(self.dependency.proxy_name, toxic)

    def observe(self, receipt: Receipt) -> None:
        report_lapsed(self._renewer, receipt)
        present = {t.name for t in self.client.toxics(self.dependency.proxy_name)}
        wanted = {self._toxic_name(s) for s in self.streams}
        if not wanted <= present:
            return  # someone removed it: no proof it held for the window
        after = _traffic(self.client, self.dependency.proxy_name)
        if after is not None and self._bytes_before is not None:
            moved = after - self._bytes_before
            if moved > 0:
                receipt.effect(f"{moved} bytes crossed proxy {self.dependency.proxy_name} under the toxic",
                               hits=1)
        else:
            receipt.effect(f"toxic(s) {sorted(wanted)} in place on {self.dependency.proxy_name} "
                           "(no live byte counters on this Toxiproxy)")

    def leftovers(self) -> list[str]:
        present = {t.name for t in self.client.toxics(self.dependency.proxy_name)}
        return [f"toxic {t} still on proxy {self.dependency.proxy_name}"
                for t in sorted(present & {self._toxic_name(s) for s in self.streams})]


@dataclass(kw_only=True)
class ProxyDisabled:
    """The dependency becomes unreachable: its proxy's listener closes and live connections drop."""

    client: ToxiproxyClient
    dependency: DependencyHandle
    lease_s: float | None = DEFAULT_LEASE_S   # None: no lease (the proxy stays off if the runner dies)
    _renewer: LeaseRenewer | None = field(default=None, init=False, repr=False)

    @property
    def name(self) -> str:
        return f"unreachable({self.dependency.name})"

    @property
    def intent(self) -> str:
        return f"disable proxy {self.dependency.proxy_name} (connections refused, live ones closed)"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        proxy = self.dependency.proxy_name
        undo.push(f"enable proxy {proxy}", functools.partial(self._enable, proxy))
        info = self.client.update_proxy(proxy, enabled=False, lease_s=self.lease_s)
        lease = info.lease("proxy_disabled")
        self._renewer = renew_while_injected(client=self.client, lease_ids=[lease.id] if lease else [],
                                             lease_s=self.lease_s, fault=self.name, undo=undo, receipt=receipt)

    def _enable(self, proxy: str) -> None:
        self.client.update_proxy(proxy, enabled=True)

    def observe(self, receipt: Receipt) -> None:
        report_lapsed(self._renewer, receipt)
        endpoint = self.dependency.proxied
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=1.0):
                return  # still accepting: the fault did not bite
        except ConnectionRefusedError:
            receipt.effect(f"connect to {endpoint.address} refused while the proxy was disabled", hits=1)
        except OSError:
            return

    def leftovers(self) -> list[str]:
        info = self.client.get_proxy(self.dependency.proxy_name)
        return [] if info.enabled else [f"proxy {info.name} still disabled"]


@dataclass(kw_only=True)
class ConnectionsNotAccepted:
    """New connections to the dependency are never accepted: clients hit their *connect* timeout
    (a SYN that gets no answer), not a refusal and not a read timeout. Live connections carry on.

    What a firewall dropping packets, a host that vanished, or a server whose accept backlog is
    full looks like. Needs our embedded proxy (the `accept` extension, chaos/proxy/README.md); a
    real Toxiproxy ignores it, and the fault then refuses to run rather than pretend. Proof: a
    connect of our own times out while the fault holds.
    """

    client: ToxiproxyClient
    dependency: DependencyHandle
    lease_s: float | None = DEFAULT_LEASE_S   # None: no lease (the proxy stays closed if the runner dies)
    _renewer: LeaseRenewer | None = field(default=None, init=False, repr=False)

    @property
    def name(self) -> str:
        return f"not_accepting({self.dependency.name})"

    @property
    def intent(self) -> str:
        return (f"stop accepting connections on proxy {self.dependency.proxy_name} "
                "(new clients hit their connect timeout; live connections carry on)")

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        proxy = self.dependency.proxy_name
        undo.push(f"accept connections on proxy {proxy} again", functools.partial(self._accept, proxy))
        info = self.client.update_proxy(proxy, accept=False, lease_s=self.lease_s)
        if info.accepting:
            raise FaultError(fault=self.name, message=(
                f"the proxy server at {self.client.url} ignored `accept: false` (a real Toxiproxy has no such "
                "mode); use the embedded proxy (`chaos proxy`) for connect-timeout faults"))
        lease = info.lease("not_accepting")
        self._renewer = renew_while_injected(client=self.client, lease_ids=[lease.id] if lease else [],
                                             lease_s=self.lease_s, fault=self.name, undo=undo, receipt=receipt)

    def _accept(self, proxy: str) -> None:
        self.client.update_proxy(proxy, accept=True)

    def observe(self, receipt: Receipt) -> None:
        report_lapsed(self._renewer, receipt)
        endpoint = self.dependency.proxied
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=CONNECT_PROBE_TIMEOUT_S):
                return  # accepted: the fault did not bite
        except TimeoutError:
            receipt.effect(f"connect to {endpoint.address} got no answer within {CONNECT_PROBE_TIMEOUT_S:g} s "
                           "(not accepted)", hits=1)
        except OSError:
            return  # refused or reset: something else is going on, not this fault's effect

    def leftovers(self) -> list[str]:
        info = self.client.get_proxy(self.dependency.proxy_name)
        return [] if info.accepting else [f"proxy {info.name} still not accepting connections"]
