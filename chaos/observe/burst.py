"""A burst: N requests released together, for races (booking) and pool exhaustion."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

from chaos.observe._http import make_client, send_recorded
from chaos.observe.events import RequestDone
from chaos.observe.request_spec import RequestSpec
from chaos.observe.timeline import Timeline

__all__ = ["fire"]


def fire(
    base_url: str,
    specs: Sequence[RequestSpec],
    timeline: Timeline,
    *,
    timeout_s: float,
    deadline_s: float | None = None,
    fresh_connections: bool = True,
) -> list[RequestDone]:
    """Send every spec at once and return their records, in the order of `specs`.

    All requests wait at one `asyncio.Barrier` and are released together, each on its own
    connection (unless `fresh_connections=False`), so the server sees them as concurrently as a
    client can make it. Each is bounded by `timeout_s` per phase and `deadline_s` in total
    (default 2 x timeout_s); a hang comes back as "ReadTimeout" or "Timeout", never blocks.
    Blocking: call it from synchronous code (it runs its own event loop).
    """
    if not specs:
        raise ValueError("fire: specs is empty; pass the requests of the burst")
    if timeout_s <= 0 or (deadline_s is not None and deadline_s <= 0):
        raise ValueError(f"fire: timeout_s and deadline_s must be > 0, got {timeout_s!r} and {deadline_s!r}")
    total = deadline_s if deadline_s is not None else 2 * timeout_s
    return asyncio.run(_burst(
        base_url, tuple(specs), timeline,
        timeout_s=timeout_s, deadline_s=total, fresh_connections=fresh_connections,
    ))


async def _burst(
    base_url: str,
    specs: tuple[RequestSpec, ...],
    timeline: Timeline,
    *,
    timeout_s: float,
    deadline_s: float,
    fresh_connections: bool,
) -> list[RequestDone]:
    barrier = asyncio.Barrier(len(specs))

    async def one(client: httpx.AsyncClient, spec: RequestSpec) -> RequestDone:
        await barrier.wait()
        return await send_recorded(client, spec, timeline, deadline_s=deadline_s)

    client = make_client(
        base_url, timeout_s=timeout_s, max_connections=len(specs), fresh_connections=fresh_connections
    )
    async with client, asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(client, spec)) for spec in specs]
    return [task.result() for task in tasks]
