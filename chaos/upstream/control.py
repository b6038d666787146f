"""The suite's side of the fake external API: set its stubs, switch its behaviour, read its request log.

Synchronous (httpx) because faults and experiments are synchronous; every call is bounded by
`timeout_s`. Any refusal or connection failure raises `UpstreamControlError` naming the route.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from chaos.errors import UpstreamControlError
from chaos.upstream.behaviour import Behaviour
from chaos.upstream.request_log import LoggedRequest
from chaos.upstream.stubs import Stub

__all__ = ["Behaviour", "LoggedRequest", "Stub", "UpstreamControl"]

_PREFIX = "/__chaos"


class UpstreamControl:
    """Client for the control routes of one fake external API at `url` (e.g. http://127.0.0.1:PORT)."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s)

    def set(self, behaviour: Behaviour) -> None:
        """Switch every following API call to `behaviour`; calls hung by the previous one are closed."""
        self._call("PUT", "/behaviour", json=behaviour.to_wire())

    def behaviour(self) -> Behaviour:
        """The behaviour in force (to record it before changing it, for an undo log)."""
        return Behaviour.from_wire(self._call("GET", "/behaviour")["behaviour"])

    def reset(self) -> None:
        """Default behaviour, log cleared, call numbers restart at 1, hung calls released (closed).
        The stubs stay: they are how the real API answers, not a fault."""
        self._call("POST", "/reset")

    def set_stubs(self, stubs: Sequence[Stub]) -> None:
        """Replace the stubs (first declared wins); a refused list changes nothing."""
        self._call("PUT", "/stubs", json={"stubs": [stub.to_wire() for stub in stubs]})

    def stubs(self) -> list[Stub]:
        return [Stub.from_wire(item) for item in self._call("GET", "/stubs")["stubs"]]

    def clear_stubs(self) -> None:
        """No stubs: every call gets the default answer again."""
        self._call("DELETE", "/stubs")

    def requests(self, *, after_seq: int = 0) -> list[LoggedRequest]:
        """Every logged API call (oldest first), or only those with `seq > after_seq`."""
        data = self._call("GET", "/log", params={"after_seq": after_seq})
        return [LoggedRequest.from_wire(item) for item in data["requests"]]

    def set_seed(self, seed: int | None) -> None:
        """Seed the `fail_fraction` draws of behaviours that carry no seed of their own (None: draw
        from the OS, not replayable). `reset()` restores the seed the server started with."""
        self._call("PUT", "/seed", json={"seed": seed})

    def seed(self) -> int | None:
        value = self._call("GET", "/seed")["seed"]
        return None if value is None else int(value)

    def clear_log(self) -> None:
        """Forget logged calls; call numbers keep counting (unlike `reset`)."""
        self._call("DELETE", "/log")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> UpstreamControl:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _call(self, method: str, route: str, **kwargs: Any) -> dict[str, Any]:
        path = _PREFIX + route
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamControlError(
                message=f"{method} {self.url}{path}: {type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            detail = body.get("error") if isinstance(body, dict) else response.text[:200]
            raise UpstreamControlError(
                message=f"{method} {path} answered {response.status_code}: {detail}")
        return body
