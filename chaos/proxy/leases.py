"""Fault leases: a toxic or a disabled proxy that reverts itself when its runner stops renewing it.

A chaos extension of the Toxiproxy API (chaos/proxy/README.md): a toxic created or updated with
`"lease_s": N`, or a proxy updated with `"enabled": false` (or `"accept": false`) and `"lease_s": N`,
carries a lease that expires N seconds later unless renewed with `POST /leases/{id}`. When it
expires the server itself removes the toxic or re-enables the proxy, so a runner that died (even
SIGKILL), hung or lost its network never leaves a fault behind for longer than one lease.

Time is the server's monotonic clock: a lease is about how long the *server* has not heard from
the runner, whatever the runner's clock says.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaos.proxy.api_errors import LEASE_NOT_FOUND

if TYPE_CHECKING:
    from chaos.proxy.collection import ProxyCollection
    from chaos.proxy.proxy import Proxy

__all__ = ["MAX_LEASE_S", "Lease", "LeaseBook", "LeaseKind"]

log = logging.getLogger(__name__)

MAX_LEASE_S = 86400.0  # a day: longer is a forgotten fault, not a lease


class LeaseKind(enum.StrEnum):
    """What a lease reverts when it expires."""

    TOXIC = "toxic"                    # remove the toxic
    PROXY_DISABLED = "proxy_disabled"  # enable the proxy again
    NOT_ACCEPTING = "not_accepting"    # accept connections again


@dataclass(slots=True, kw_only=True)
class Lease:
    """One lease; `expires_at` is on the book's clock and moves forward at every renewal."""

    id: str
    kind: LeaseKind
    proxy: Proxy
    toxic: str | None
    ttl_s: float
    expires_at: float

    def to_json(self, now: float) -> dict[str, object]:
        return {"id": self.id, "kind": str(self.kind), "proxy": self.proxy.name, "toxic": self.toxic,
                "ttl_s": self.ttl_s, "expires_in_s": round(max(0.0, self.expires_at - now), 3)}


class LeaseBook:
    """Every lease of one server, and the task that reverts the expired ones (`run`)."""

    def __init__(self, collection: ProxyCollection, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._collection = collection
        self.clock = clock
        self._leases: dict[str, Lease] = {}
        self._changed = asyncio.Event()
        self.expired: list[str] = []  # one line per lease that lapsed, for logs and tests

    # --- the API's side ---------------------------------------------------------------------------

    def grant(self, kind: LeaseKind, proxy: Proxy, ttl_s: float, toxic: str | None = None) -> Lease:
        """A lease on (kind, proxy, toxic), replacing the one it had: a new lease id each time."""
        self.drop(kind, proxy, toxic)
        lease = Lease(id=secrets.token_hex(8), kind=kind, proxy=proxy, toxic=toxic, ttl_s=ttl_s,
                      expires_at=self.clock() + ttl_s)
        self._leases[lease.id] = lease
        self._changed.set()
        return lease

    def renew(self, lease_id: str, ttl_s: float | None = None) -> Lease:
        """Push the expiry to now + ttl (the lease's own ttl unless a new one is given); 404 if the
        lease expired or its fault is gone, which tells the runner its fault was reverted."""
        lease = self._leases.get(lease_id)
        if lease is None or not self._current(lease):
            self._leases.pop(lease_id, None)
            raise LEASE_NOT_FOUND.error()
        if ttl_s is not None:
            lease.ttl_s = ttl_s
        lease.expires_at = self.clock() + lease.ttl_s
        self._changed.set()
        return lease

    def find(self, kind: LeaseKind, proxy: Proxy, toxic: str | None = None) -> Lease | None:
        return next((lease for lease in self._leases.values()
                     if lease.kind is kind and lease.proxy is proxy and lease.toxic == toxic), None)

    def of_proxy(self, proxy: Proxy) -> list[Lease]:
        """The proxy's own leases (disabled, not accepting), not its toxics'."""
        return [lease for lease in self._leases.values() if lease.proxy is proxy and lease.toxic is None]

    def drop(self, kind: LeaseKind, proxy: Proxy, toxic: str | None = None) -> None:
        """The fault was reverted through the API: its lease ends with it."""
        lease = self.find(kind, proxy, toxic)
        if lease is not None:
            del self._leases[lease.id]

    def clear(self) -> None:
        """POST /reset reverted everything."""
        self._leases.clear()

    def all(self) -> list[Lease]:
        """The leases still in force, soonest expiry first (stale ones are forgotten here)."""
        for lease in [lease for lease in self._leases.values() if not self._current(lease)]:
            del self._leases[lease.id]
        return sorted(self._leases.values(), key=lambda lease: lease.expires_at)

    # --- expiry -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Revert each lease when it expires; runs until cancelled (the server owns this task)."""
        while True:
            now = self.clock()
            for lease in [lease for lease in self._leases.values() if lease.expires_at <= now]:
                del self._leases[lease.id]
                try:
                    await self._expire(lease)
                except Exception:  # one failed revert must not stop the others: logged, and retried never
                    log.exception("lease %s: reverting %s on proxy %s failed", lease.id, lease.kind,
                                  lease.proxy.name)
            self._changed.clear()
            soonest = min((lease.expires_at for lease in self._leases.values()), default=math.inf)
            wait_s = None if soonest == math.inf else max(0.0, soonest - self.clock())
            try:
                async with asyncio.timeout(wait_s):
                    await self._changed.wait()
            except TimeoutError:
                pass

    def _current(self, lease: Lease) -> bool:
        """Whether the leased fault is still the one in place (not deleted, replaced or reverted)."""
        proxy = lease.proxy
        if self._collection.find(proxy.name) is not proxy:
            return False  # deleted, or replaced by populate: a new proxy has no faults
        if lease.kind is LeaseKind.TOXIC:
            return lease.toxic is not None and proxy.toxics.find(lease.toxic) is not None
        if lease.kind is LeaseKind.PROXY_DISABLED:
            return not proxy.enabled
        return not proxy.accepting

    async def _expire(self, lease: Lease) -> None:
        if not self._current(lease):
            return
        proxy = lease.proxy
        if lease.kind is LeaseKind.TOXIC:
            assert lease.toxic is not None
            await proxy.toxics.remove(lease.toxic)
            done = f"removed toxic {lease.toxic} from proxy {proxy.name}"
        elif lease.kind is LeaseKind.PROXY_DISABLED:
            await self._collection.enable(proxy)
            done = f"enabled proxy {proxy.name}"
        else:
            await self._collection.set_accepting(proxy, True)
            done = f"proxy {proxy.name} accepts connections again"
        line = f"lease {lease.id} lapsed ({lease.ttl_s:g} s without renewal): {done}"
        self.expired.append(line)
        log.warning("%s", line)
