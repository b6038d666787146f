"""A very small SVG writer: escaped elements, a linear scale and "nice" axis ticks.

Enough for the report's timeline plots without a plotting library or anything fetched at view
time: the report must open from a CI artifact on a machine with no network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

__all__ = ["LinearScale", "element", "nice_ticks", "text"]


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        shown = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        parts.append(f' {key}="{escape(shown, quote=True)}"')
    return "".join(parts)


def element(tag: str, children: Iterable[str] | str = (), **attrs: object) -> str:
    """`<tag attr="...">children</tag>` (self-closing when empty); attribute names use `_` for `-`
    (and a trailing `_` for keywords: `class_`). Children are markup; escape text with `text()`."""
    inner = children if isinstance(children, str) else "".join(children)
    if not inner:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{inner}</{tag}>"


def text(value: object) -> str:
    """Text content, escaped."""
    return escape(str(value), quote=False)


@dataclass(frozen=True, slots=True)
class LinearScale:
    """Maps a data interval onto a pixel interval (the pixel end may be smaller: a y axis grows up)."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        if span <= 0:
            return self.px_lo
        clamped = min(max(value, self.lo), self.hi)
        return self.px_lo + (clamped - self.lo) / span * (self.px_hi - self.px_lo)


def nice_ticks(hi: float, *, count: int = 6) -> tuple[float, list[float]]:
    """Ticks from 0 covering `hi`, at steps of 1, 2 or 5 x 10^k: (axis end, ticks)."""
    if not math.isfinite(hi) or hi <= 0:
        return 1.0, [0.0, 0.5, 1.0]
    raw = hi / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    end = math.ceil(hi / step - 1e-9) * step
    ticks = [round(i * step, 10) for i in range(round(end / step) + 1)]
    return end, ticks
