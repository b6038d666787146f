"""ProxyCollection: every proxy by name, and the operations that touch several (populate, reset).

Toxiproxy's ProxyCollection semantics: create refuses a taken name (409) and keeps nothing if the
listener cannot bind (500); populate validates everything first, then adds or replaces in order,
leaves an unchanged proxy untouched (its state and toxics), replaces a changed one with a fresh
proxy without toxics, never deletes, and stops at the first runtime error with a partial result;
reset re-enables every proxy and removes every toxic.

Every listen address is checked against the server's `ListenPolicy` before it is stored, whether
the proxy is enabled or not (Toxiproxy checks a disabled proxy's address only when it starts, so
one bad request could make every later `/reset` fail). Two divergences keep refused changes from
being kept half done: a replacement by populate that cannot bind gives the old proxy back, and
`/reset` goes through every proxy even when one cannot bind again (Go stops there with a 500): that
proxy stays disabled, a warning names it, and the answer is still 204.
"""

from __future__ import annotations

import asyncio
import logging
import random

from chaos.errors import ToxiproxyApiError
from chaos.proxy.addresses import ListenPolicy, check_listen
from chaos.proxy.api_errors import PROXY_ALREADY_EXISTS, PROXY_NOT_FOUND
from chaos.proxy.codec import ProxySpec
from chaos.proxy.link import Link
from chaos.proxy.metrics import Traffic
from chaos.proxy.names import describe_name
from chaos.proxy.proxy import Proxy

__all__ = ["ProxyCollection"]

log = logging.getLogger(__name__)


class ProxyCollection:
    """The proxies of one server; a lock serialises changes, as Toxiproxy's mutex does."""

    def __init__(self, *, rng: random.Random, traffic: Traffic, policy: ListenPolicy | None = None) -> None:
        self._rng = rng
        self._traffic = traffic
        self.policy = policy or ListenPolicy()
        self._proxies: dict[str, Proxy] = {}
        self.lock = asyncio.Lock()

    def all(self) -> list[Proxy]:
        """Every proxy, by name (the order Go's JSON encoder gives the /proxies object)."""
        return [self._proxies[name] for name in sorted(self._proxies)]

    def get(self, name: str) -> Proxy:
        proxy = self._proxies.get(name)
        if proxy is None:
            raise PROXY_NOT_FOUND.error(describe_name(name))
        return proxy

    def find(self, name: str) -> Proxy | None:
        return self._proxies.get(name)

    def live_links(self) -> list[Link]:
        return [link for proxy in self._proxies.values() for link in proxy.live_links()]

    def _new(self, spec: ProxySpec) -> Proxy:
        # each proxy draws from its own generator (seeded from the server's, so `--seed` still fixes
        # them all, in creation order): its draws do not depend on other proxies' traffic, and the
        # chaos extension `seed` on a proxy update can reseed one proxy for one experiment
        rng = random.Random(self._rng.getrandbits(64))
        return Proxy(name=spec.name, listen=spec.listen, upstream=spec.upstream, rng=rng,
                     traffic=self._traffic, policy=self.policy)

    async def add(self, spec: ProxySpec) -> Proxy:
        async with self.lock:
            if spec.name in self._proxies:
                raise PROXY_ALREADY_EXISTS.error(spec.name)
            await check_listen(spec.listen, self.policy)
            proxy = self._new(spec)
            if spec.enabled:
                await proxy.start()
            self._proxies[spec.name] = proxy
            return proxy

    async def update(self, spec: ProxySpec) -> Proxy:
        async with self.lock:
            proxy = self.get(spec.name)
            await check_listen(spec.listen, self.policy)
            await proxy.update(listen=spec.listen, upstream=spec.upstream, enabled=spec.enabled)
            return proxy

    async def enable(self, proxy: Proxy) -> None:
        """Enable `proxy` (an expired lease); nothing if it was deleted or replaced meanwhile."""
        async with self.lock:
            if self._proxies.get(proxy.name) is proxy:
                await proxy.start()

    async def set_accepting(self, proxy: Proxy, accepting: bool) -> None:
        """Stop or resume accepting connections on `proxy` (chaos extension `accept`)."""
        async with self.lock:
            if self._proxies.get(proxy.name) is proxy:
                await proxy.set_accepting(accepting)

    async def remove(self, name: str) -> None:
        async with self.lock:
            proxy = self.get(name)
            await proxy.stop()
            del self._proxies[name]

    async def populate(self, specs: list[ProxySpec]) -> tuple[list[Proxy], ToxiproxyApiError | None]:
        """Add or replace each proxy in order; the proxies handled so far and the error that stopped us."""
        done: list[Proxy] = []
        async with self.lock:
            for spec in specs:  # every address before any change (a lookup failure too: 500, nothing done)
                await check_listen(spec.listen, self.policy)
            for spec in specs:
                try:
                    done.append(await self._add_or_replace(spec))
                except ToxiproxyApiError as exc:
                    return done, exc
        return done, None

    async def _add_or_replace(self, spec: ProxySpec) -> Proxy:
        existing = self._proxies.get(spec.name)
        if existing is not None:
            if not await existing.differs(listen=spec.listen, upstream=spec.upstream):
                return existing  # untouched: its enabled state and toxics stay, `enabled` is ignored
            before = (existing.listen, existing.upstream, existing.enabled)
            await existing.stop()
        proxy = self._new(spec)
        if spec.enabled:
            try:
                await proxy.start()
            except ToxiproxyApiError:
                if existing is not None:
                    await existing.restore(*before)  # the old proxy back, not a stopped husk
                raise
        self._proxies[spec.name] = proxy
        return proxy

    async def reset(self) -> list[str]:
        """Enable every proxy (accepting) and remove every toxic; returns one line per proxy that
        could not listen again (it stays disabled; Go would stop half way with a 500)."""
        failed: list[str] = []
        async with self.lock:
            for proxy in self.all():
                await proxy.set_accepting(True)  # chaos extension: the baseline accepts connections
                try:
                    await proxy.start()
                except ToxiproxyApiError as exc:
                    failed.append(f"proxy {proxy.name} stays disabled: {exc.message}")
                    log.warning("reset: proxy %s stays disabled: %s", proxy.name, exc.message)
                await proxy.toxics.reset()
        return failed

    async def aclose(self) -> None:
        """Stop every proxy (listeners and connections); the proxies stay defined."""
        async with self.lock:
            for proxy in self._proxies.values():
                await proxy.stop()
