"""ToxicStub: where one toxic runs for one link, between its input and output channels.

A toxic (a dataclass of settings) is shared by every connection; the stub holds what is per
connection: the channels, the toxic's state (limit_data's byte count) and the task running the
toxic's `pipe`. Interrupting a stub cancels that task; pipes that hold data when cancelled flush it
("don't drop any data on the floor", toxics/toxic.go) and re-raise, and the link then restarts the
stub with the updated chain, drawing toxicity again, as Toxiproxy does.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chaos.proxy.stream import Chan, End, Item

if TYPE_CHECKING:
    from chaos.proxy.toxics.base import Toxic

__all__ = ["ToxicStub"]

log = logging.getLogger(__name__)


class ToxicStub:
    """The per-connection runtime of one toxic in one direction."""

    __slots__ = ("_on_crash", "_task", "closed", "input", "output", "rng", "state")

    def __init__(self, *, input: Chan, output: Chan, rng: random.Random, state: object | None,
                 on_crash: Callable[[BaseException], None]) -> None:
        self.input = input
        self.output = output
        self.rng = rng
        self.state = state  # per-connection state of a stateful toxic; survives restarts
        self.closed = False  # an end marker has been forwarded: nothing more will flow
        self._task: asyncio.Task[None] | None = None
        self._on_crash = on_crash

    # --- used by toxics -------------------------------------------------------------------------

    async def read(self, timeout_s: float | None = None) -> Item | None:
        """The next chunk or end marker; None if `timeout_s` passed first (timeout toxic)."""
        if timeout_s is None:
            return await self.input.get()
        try:
            async with asyncio.timeout(timeout_s):
                return await self.input.get()
        except TimeoutError:
            return None

    def send(self, item: Item) -> None:
        """Pass an item to the next stage (never blocks)."""
        self.output.put(item)

    def unread(self, item: Item) -> None:
        """Give back an item taken from the input, so the next run of this stub sees it first."""
        self.input.put_front(item)

    def close(self, end: End = End.CLOSE) -> None:
        """End this direction: forward `end` (an EOF that arrived, or the toxic's own CLOSE/RESET)."""
        if not self.closed:
            self.closed = True
            self.output.put(end)

    @staticmethod
    async def sleep(seconds: float | None) -> None:
        """Sleep `seconds`, or until interrupted when None (bandwidth 0, timeout 0 hold forever)."""
        if seconds is None:
            await asyncio.get_running_loop().create_future()
        elif seconds > 0:
            await asyncio.sleep(seconds)

    @staticmethod
    async def sleep_until(deadline: float) -> None:
        """Sleep until time.monotonic() reaches `deadline`, as closely as the loop's timers allow.

        uvloop timers have 1 ms resolution and round a fraction up, which made a 100 ms latency
        toxic add 101.5 ms; rounding to the nearest ms centres the error (measured: ~100.4 ms)."""
        seconds = round(deadline - time.monotonic(), 3)
        if seconds > 0:
            await asyncio.sleep(seconds)

    # --- used by the link -----------------------------------------------------------------------

    def start(self, toxic: Toxic, toxicity: float, noop: Toxic) -> None:
        """Run `toxic` here, or `noop` if this connection's draw says the toxic does not apply.

        The draw happens at every (re)start, like Toxiproxy's `rand.Float32() < toxicity`."""
        if self.closed:
            return
        chosen = toxic if self.rng.random() < toxicity else noop
        self._task = asyncio.get_running_loop().create_task(chosen.pipe(self))
        self._task.add_done_callback(self._done)

    async def interrupt(self) -> bool:
        """Stop the running toxic (it flushes what it holds); False if the stub already closed."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait((task,))
        return not self.closed

    def cancel(self) -> None:
        """Stop for good, without waiting: the connection is going away."""
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("toxic crashed; closing its connection", exc_info=exc)
            self._on_crash(exc)
