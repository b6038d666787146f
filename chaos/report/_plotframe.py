"""The timeline plot's layout: sizes, and the frame that maps instants and latencies to pixels.

Shared by the plot (`plot.py`) and the judgement drawn over it (`overlay.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from chaos.report.svg import LinearScale

__all__ = ["AXIS_H", "LABELS_H", "LEFT", "LEGEND_H", "PLOT_H", "RIGHT", "STRIP_GAP", "STRIP_H", "WIDTH", "Frame",
           "Strip"]

WIDTH: Final = 1100
LEFT: Final = 92
RIGHT: Final = 18
LEGEND_H: Final = 26
LABELS_H: Final = 30          # room above the plot for fault labels
PLOT_H: Final = 240
STRIP_H: Final = 16
STRIP_GAP: Final = 4
AXIS_H: Final = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class Strip:
    """One row under the plot (a probe, upstream calls, a gauge, a recovery) and where it sits."""

    name: str
    y: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """Where things go: the scales, their ticks, and the vertical extent of the plot and strips."""

    x: LinearScale
    y: LinearScale
    x_ticks: Sequence[float]
    y_ticks: Sequence[float]
    x_end: float
    top: float                # top of the latency plot
    bottom: float             # its x axis
    strips_bottom: float      # bottom of the last strip
    offset_s: Callable[[int], float]

    def xs(self, ns: int) -> float:
        """The x pixel of a monotonic instant."""
        return self.x(self.offset_s(ns))
