"""What to send: one HTTP request template, as the target file writes it ("GET /api/items?page=1")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["RequestSpec"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSpec:
    """A request to send: method, path (with query) relative to the base URL, optional JSON body.

    `label` names the requests on the timeline (contracts select by it); it defaults to
    "METHOD /path".
    """

    method: str
    path: str
    json: object = None
    headers: Mapping[str, str] | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        method = self.method.upper()
        if method not in _METHODS:
            raise ValueError(f"request {self.method} {self.path}: unknown HTTP method {self.method!r}")
        if not self.path.startswith("/"):
            raise ValueError(f"request {self.method} {self.path}: path must start with '/'")
        object.__setattr__(self, "method", method)
        if self.headers is not None:
            object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        label: str | None = None,
    ) -> RequestSpec:
        """Parse "METHOD /path?query" (the target file's `request` form); ValueError quotes the text."""
        parts = text.split()
        if len(parts) != 2:
            raise ValueError(f"request {text!r}: expected 'METHOD /path', e.g. 'GET /api/items?page=1'")
        return cls(method=parts[0], path=parts[1], json=json, headers=headers, label=label)

    @property
    def name(self) -> str:
        """The label requests from this spec carry on the timeline."""
        return self.label if self.label is not None else f"{self.method} {self.path}"
