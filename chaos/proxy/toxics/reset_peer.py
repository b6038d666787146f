"""reset_peer: on the first chunk (or EOF), waits `timeout` ms, then resets the connection (RST)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["ResetPeer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetPeer(Toxic):
    """The triggering chunk is not forwarded. The RST comes from SO_LINGER 0 set on both sockets at
    the moment of the reset, so it also works on connections opened before the toxic was added and
    never turns an ordinary close into an RST (Toxiproxy sets linger at accept: issue #603)."""

    timeout: int = attribute("ms to wait after the first input")

    async def pipe(self, stub: ToxicStub) -> None:
        item = await stub.read()
        if item is None:
            return
        try:
            await stub.sleep(self.timeout / 1000)
        except asyncio.CancelledError:
            stub.unread(item)  # changed or removed before it fired: nothing happened yet
            raise
        stub.close(End.RESET)
