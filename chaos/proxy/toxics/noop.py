"""noop: passes every chunk through unchanged (Toxiproxy's hidden chain head, also addable by name)."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic

__all__ = ["Noop"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Noop(Toxic):
    """No attributes. Also what a stub runs when the toxicity draw says "not this connection"."""

    async def pipe(self, stub: ToxicStub) -> None:
        while True:
            item = await stub.read()
            if isinstance(item, End):
                stub.close(item)
                return
            if item is not None:
                stub.send(item)
