"""Turning a target's request templates into the requests an experiment sends.

Three things are added on the way: this run's `{unique}` token (so repeated runs never collide),
the headers real clients send (`[service].headers`, then `[load].headers` for load, then the
request's own), and what to capture of the answers (the headers, JSON paths and body patterns the
contract's answer conventions read), so the timeline holds what the checks will judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaos.answers import Capture
from chaos.observe import RequestSpec
from chaos.targetfile import RequestTemplate, Target

__all__ = ["build_request", "substitute"]


def substitute(value: Any, token: str) -> Any:
    """Put the per-run token wherever a request says `{unique}`; read-only tables and tuples from the
    target file become the dicts and lists a JSON encoder wants."""
    if isinstance(value, str):
        return value.replace("{unique}", token)
    if isinstance(value, Mapping):
        return {k: substitute(v, token) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(v, token) for v in value]
    return value


def build_request(template: RequestTemplate, *, target: Target, token: str, label: str, capture: Capture,
                  for_load: bool = False) -> RequestSpec:
    """The request to send for `template`, labelled `label` on the timeline."""
    headers = {**target.service.headers, **(target.load.headers if for_load else {}), **template.headers}
    return RequestSpec(
        method=template.method, path=substitute(template.target, token),
        json=substitute(template.json, token) if template.json is not None else None,
        form=substitute(template.form, token) if template.form is not None else None,
        text=substitute(template.text, token) if template.text is not None else None,
        content_type=template.content_type, headers=substitute(headers, token) or None,
        label=label, capture=capture,
    )
