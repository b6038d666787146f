"""What to send: one HTTP request template, as the target file writes it ("GET /api/items?page=1")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from chaos.answers import NOTHING, Capture

__all__ = ["RequestSpec"]

_METHOD = re.compile(r"[A-Z][A-Z0-9-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSpec:
    """A request to send: method, path (with query) relative to the base URL, at most one body
    (`json`, url-encoded `form` fields, or `text` with `content_type`), headers.

    `label` names the requests on the timeline (contracts select by it); it defaults to
    "METHOD /path". `capture` says what of the answer to keep on the timeline (the headers, JSON
    paths and body patterns the experiment's answer specs read).
    """

    method: str
    path: str
    json: object = None
    form: Mapping[str, str] | None = None
    text: str | None = None
    content_type: str | None = None
    headers: Mapping[str, str] | None = None
    label: str | None = None
    capture: Capture = NOTHING

    def __post_init__(self) -> None:
        method = self.method.upper()
        if not _METHOD.fullmatch(method):
            raise ValueError(f"request {self.method} {self.path}: not an HTTP method: {self.method!r}")
        if sum(body is not None for body in (self.json, self.form, self.text)) > 1:
            raise ValueError(f"request {self.method} {self.path}: give at most one of json, form, text")
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
