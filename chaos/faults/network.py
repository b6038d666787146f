"""Network faults through the dependency's proxy: any toxic, or the proxy switched off."""

from __future__ import annotations

import functools
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos.env.base import DependencyHandle
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.proxy.client import ToxiproxyClient

__all__ = ["ProxyDisabled", "ToxicFault"]


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
    _bytes_before: int | None = field(default=None, init=False, repr=False)

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
        self._bytes_before = _traffic(self.client, self.dependency.proxy_name)
        for stream in self.streams:
            toxic = self._toxic_name(stream)
            undo.push(f"remove toxic {toxic} from {self.dependency.proxy_name}", functools.partial(self._delete, toxic))
            self.client.add_toxic(self.dependency.proxy_name, self.toxic_type, name=toxic, stream=stream,
                                  toxicity=self.toxicity, attributes=dict(self.attributes))

    def _delete(self, toxic: str) -> None:
        if any(t.name == toxic for t in self.client.toxics(self.dependency.proxy_name)):
            self.client.delete_toxic(self.dependency.proxy_name, toxic)

    def observe(self, receipt: Receipt) -> None:
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


@dataclass(frozen=True, kw_only=True)
class ProxyDisabled:
    """The dependency becomes unreachable: its proxy's listener closes and live connections drop."""

    client: ToxiproxyClient
    dependency: DependencyHandle

    @property
    def name(self) -> str:
        return f"unreachable({self.dependency.name})"

    @property
    def intent(self) -> str:
        return f"disable proxy {self.dependency.proxy_name} (connections refused, live ones closed)"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        proxy = self.dependency.proxy_name
        undo.push(f"enable proxy {proxy}", functools.partial(self._enable, proxy))
        self.client.update_proxy(proxy, enabled=False)

    def _enable(self, proxy: str) -> None:
        self.client.update_proxy(proxy, enabled=True)

    def observe(self, receipt: Receipt) -> None:
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
