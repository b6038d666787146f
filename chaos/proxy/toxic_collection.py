"""ToxicCollection: a proxy's toxics, one ordered chain per direction, applied to every live link.

Toxiproxy's ToxicCollection: names are unique per proxy across both directions, listing shows all
upstream toxics then all downstream ones, and every add, update or removal is applied to the live
links of that direction as well as to connections made later. A lock serialises changes, because
applying one to live links awaits each link's interrupted stubs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from chaos.proxy.api_errors import BAD_REQUEST_BODY, TOXIC_ALREADY_EXISTS, TOXIC_NOT_FOUND
from chaos.proxy.link import Link
from chaos.proxy.names import describe_name
from chaos.proxy.stream import Direction
from chaos.proxy.toxics import REGISTRY, Toxic, ToxicAttributeError, build_toxic

__all__ = ["ToxicCollection", "ToxicEntry", "ToxicSpec"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicEntry:
    """One toxic as the API shows it (Toxiproxy's ToxicWrapper); replaced, never mutated, on update."""

    name: str
    type: str
    stream: str  # as sent: "UpStream" is echoed as "UpStream" (Toxiproxy stores the raw string)
    direction: Direction
    toxicity: float
    toxic: Toxic


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicSpec:
    """A decoded toxic-create request whose stream, name and type are already checked."""

    name: str
    type: str
    stream: str
    direction: Direction
    toxicity: float
    attributes: object  # raw JSON, checked against the type once the name is known to be free


class ToxicCollection:
    """The toxics of one proxy and the live links they act on."""

    def __init__(self) -> None:
        self._chains: dict[Direction, list[ToxicEntry]] = {d: [] for d in Direction}
        # dicts, not sets: live links are visited in connection order, so the toxicity draws a change
        # makes on them come in the same order in a replay (a set's order follows memory addresses)
        self._links: dict[Direction, dict[Link, None]] = {d: {} for d in Direction}
        self._lock = asyncio.Lock()

    def entries(self) -> list[ToxicEntry]:
        """Upstream toxics in chain order, then downstream ones (Toxiproxy's GetToxicArray)."""
        return [*self._chains[Direction.UPSTREAM], *self._chains[Direction.DOWNSTREAM]]

    def find(self, name: str) -> ToxicEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def get(self, name: str) -> ToxicEntry:
        entry = self.find(name)
        if entry is None:
            raise TOXIC_NOT_FOUND.error(describe_name(name))
        return entry

    def attach(self, link: Link) -> None:
        """A new connection's link starts with the current chain of its direction."""
        link.start(self._chains[link.direction])
        self._links[link.direction][link] = None

    def detach(self, link: Link) -> None:
        self._links[link.direction].pop(link, None)

    async def add(self, spec: ToxicSpec) -> ToxicEntry:
        async with self._lock:
            if self.find(spec.name) is not None:
                raise TOXIC_ALREADY_EXISTS.error(spec.name)
            entry = ToxicEntry(name=spec.name, type=spec.type, stream=spec.stream, direction=spec.direction,
                               toxicity=spec.toxicity, toxic=_build(spec.type, spec.attributes, None))
            self._chains[entry.direction].append(entry)
            for link in list(self._links[entry.direction]):
                await link.add_toxic(entry)
            return entry

    async def update(self, name: str, *, attributes: object, toxicity: float | None) -> ToxicEntry:
        """Merge `attributes` into the toxic (partial update) and restart it on every live link."""
        async with self._lock:
            old = self.get(name)
            toxic = _build(old.type, attributes, old.toxic)
            entry = replace(old, toxic=toxic, toxicity=old.toxicity if toxicity is None else toxicity)
            chain = self._chains[entry.direction]
            index = chain.index(old)
            chain[index] = entry
            for link in list(self._links[entry.direction]):
                await link.update_toxic(index, entry)
            return entry

    async def remove(self, name: str) -> None:
        async with self._lock:
            await self._remove(self.get(name))

    async def reset(self) -> None:
        """Remove every toxic, last first (running cleanups: timeout closes its connections)."""
        async with self._lock:
            for direction in Direction:
                for entry in reversed(list(self._chains[direction])):
                    await self._remove(entry)

    async def _remove(self, entry: ToxicEntry) -> None:
        chain = self._chains[entry.direction]
        index = chain.index(entry)
        del chain[index]
        for link in list(self._links[entry.direction]):
            await link.remove_toxic(index)


def _build(type_name: str, attributes: object, current: Toxic | None) -> Toxic:
    try:
        return build_toxic(REGISTRY[type_name], attributes, current)
    except ToxicAttributeError as exc:
        raise BAD_REQUEST_BODY.error(f"{type_name} toxic: {exc}") from exc
