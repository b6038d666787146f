"""The `{name}` templates of target files: parse, list the names used, and render with values.

Target files point the SUT at things the suite only knows at run time (a free port, the proxy in
front of Postgres), so strings such as `"postgresql://...@{postgres.host}:{postgres.port}/app"` are
templates. `{{` and `}}` stand for literal braces. Parsing is strict so that a typo is reported
when the file is loaded, not when a process is started.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chaos.targetfile._fields import describe

__all__ = ["ENV_PREFIX", "TemplateError", "render", "render_some", "template_names"]

ENV_PREFIX = "env."
"""`{env.NAME}`: a value from the runner's environment, resolved when the target file is loaded."""

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


class TemplateError(ValueError):
    """A template is malformed (unbalanced brace, empty or invalid name) or names an unknown value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Piece:
    literal: str = ""
    name: str | None = None


def _parse(template: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    pos = 0
    for match in _TOKEN.finditer(template):
        if match.start() > pos:
            pieces.append(_Piece(literal=template[pos:match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            pieces.append(_Piece(literal=token[0]))
        elif token in ("{", "}"):
            raise TemplateError(
                f"unbalanced {token!r} at position {match.start()} in {describe(template)} "
                f"(write {token * 2} for a literal brace)")
        else:
            name = (match.group(1) or "").strip()
            if not _NAME.fullmatch(name):
                written = match.group(1) if len(match.group(1)) <= 40 else match.group(1)[:37] + "..."
                raise TemplateError(f"invalid template name {{{written}}} in {describe(template)}")
            pieces.append(_Piece(name=name))
        pos = match.end()
    if pos < len(template):
        pieces.append(_Piece(literal=template[pos:]))
    return pieces


def template_names(template: str) -> list[str]:
    """The names a template uses, in order; raises TemplateError if it is malformed."""
    return [p.name for p in _parse(template) if p.name is not None]


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill `template` from `values`; TemplateError names the first unknown or malformed placeholder."""
    out: list[str] = []
    for piece in _parse(template):
        if piece.name is None:
            out.append(piece.literal)
        elif piece.name in values:
            out.append(values[piece.name])
        else:
            known = ", ".join(f"{{{k}}}" for k in sorted(values))
            raise TemplateError(f"unknown template name {{{piece.name}}} in {describe(template)} (known: {known})")
    return "".join(out)


def render_some(template: str, values: Mapping[str, str]) -> str:
    """Fill only the names in `values`; every other placeholder (and each literal brace) is kept as
    written, so the result is still a template (the loader resolves `{env.NAME}` early this way)."""
    out: list[str] = []
    for piece in _parse(template):
        if piece.name is None:
            out.append(piece.literal.replace("{", "{{").replace("}", "}}"))
        elif piece.name in values:
            out.append(values[piece.name].replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + piece.name + "}")
    return "".join(out)
