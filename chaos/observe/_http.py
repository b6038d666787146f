"""Sending one request and recording how it ended: shared by the load generator, bursts and steady state."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

from chaos.answers import JSON_LIMIT_BYTES, SeenValue, extract
from chaos.observe.events import RequestDone
from chaos.observe.request_spec import RequestSpec
from chaos.observe.timeline import Timeline

__all__ = ["BODY_LIMIT_BYTES", "make_client", "send_recorded"]

BODY_LIMIT_BYTES = JSON_LIMIT_BYTES
"""Larger answers are not searched for JSON values: contracts need flags, not payloads."""


def make_client(
    base_url: str, *, timeout_s: float, max_connections: int, fresh_connections: bool
) -> httpx.AsyncClient:
    """A client that talks directly to `base_url` (no proxies from the environment).

    `fresh_connections=True` keeps no idle connection, so every request opens a new one: that is
    how a client sees "new connections refused" while a server drains.
    """
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=0 if fresh_connections else max_connections,
        ),
        trust_env=False,
        follow_redirects=False,
    )


async def send_recorded(
    client: httpx.AsyncClient,
    spec: RequestSpec,
    timeline: Timeline,
    *,
    deadline_s: float,
    body_limit_bytes: int = BODY_LIMIT_BYTES,
    intended_ns: int | None = None,
) -> RequestDone:
    """Send `spec`, append its `RequestDone` to the timeline however it ends, and return it.

    The error kind is the httpx exception class name; "Timeout" when the total `deadline_s` passed
    (a server dripping bytes never trips httpx's per-read timeout); "Cancelled" when the caller
    cancelled us (recorded, then the cancellation goes on).
    With `intended_ns` (the open-model load's slot) the record starts there and `sent_ns` says when
    it actually left, so a late send counts in its latency; the deadline runs from the send.
    """
    now_ns = timeline.now_ns()
    # a slot is not sent before it is due; min() absorbs the clocks' read-out order
    start_ns, sent = (now_ns, None) if intended_ns is None else (min(intended_ns, now_ns), now_ns)
    status: int | None = None
    error: str | None = None
    seen: Mapping[str, SeenValue] | None = None
    headers = dict(spec.headers or {})
    if spec.text is not None and spec.content_type is not None:
        headers.setdefault("Content-Type", spec.content_type)
    try:
        async with asyncio.timeout(deadline_s):
            response = await client.request(
                spec.method, spec.path, json=spec.json, data=spec.form, content=spec.text, headers=headers
            )
        status = response.status_code
        if spec.capture:
            seen = extract(spec.capture, headers=response.headers, content=response.content,
                           json_limit_bytes=body_limit_bytes)
    except asyncio.CancelledError:
        timeline.append(_done(spec, start_ns, timeline.now_ns(), error="Cancelled", sent_ns=sent))
        raise
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    except TimeoutError:
        error = "Timeout"
    except OSError as exc:  # a socket error httpx did not wrap
        error = type(exc).__name__
    record = _done(spec, start_ns, timeline.now_ns(), status=status, error=error, seen=seen, sent_ns=sent)
    timeline.append(record)
    return record


def _done(
    spec: RequestSpec,
    start_ns: int,
    end_ns: int,
    *,
    status: int | None = None,
    error: str | None = None,
    seen: Mapping[str, SeenValue] | None = None,
    sent_ns: int | None = None,
) -> RequestDone:
    return RequestDone(
        label=spec.name, method=spec.method, path=spec.path,
        start_ns=start_ns, end_ns=end_ns, status=status, error=error, seen=seen, sent_ns=sent_ns,
    )
