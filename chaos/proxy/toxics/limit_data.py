"""limit_data: forwards `bytes` bytes per connection in this direction, then closes the connection."""

from __future__ import annotations

from dataclasses import dataclass

from chaos.proxy.stream import End
from chaos.proxy.stub import ToxicStub
from chaos.proxy.toxics.base import Toxic, attribute

__all__ = ["LimitData", "LimitDataState"]


@dataclass(slots=True)
class LimitDataState:
    """Bytes this connection has passed in this direction; kept across toxic updates."""

    transmitted: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitData(Toxic):
    """The chunk that reaches the limit is truncated; `bytes` 0 closes on the first chunk."""

    bytes: int = attribute("bytes per connection")

    def new_state(self) -> LimitDataState:
        return LimitDataState()

    async def pipe(self, stub: ToxicStub) -> None:
        state = stub.state
        assert isinstance(state, LimitDataState)
        while True:
            item = await stub.read()
            if isinstance(item, End):
                stub.close(item)
                return
            if item is None:
                continue
            remaining = max(self.bytes - state.transmitted, 0)
            if len(item.data) > remaining:
                item.data = item.data[:remaining]
            if item.data:
                stub.send(item)
                state.transmitted += len(item.data)
            if self.bytes - state.transmitted <= 0:
                stub.close(End.CLOSE)
                return
