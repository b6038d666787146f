"""slow_close: passes data unchanged but forwards the end of the stream `delay` ms late."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["SlowClose"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowClose(Toxic):
    """Emulates a peer that lingers before closing: the EOF (or close) waits `delay` ms."""

    delay: int = attribute("ms")

    async def pipe(self, stub: ToxicStub) -> None:
        while True:
            item = await stub.read()
            if item is None:
                continue
            if isinstance(item, End):
                try:
                    await stub.sleep(self.delay / 1000)
                except asyncio.CancelledError:
                    stub.unread(item)  # the restarted stub sees the end again and waits anew
                    raise
                stub.close(item)
                return
            stub.send(item)
