"""A span of the monotonic clock that contracts look at: a fault's lifetime, or any [start, end]."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Window"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The closed interval [start_ns, end_ns] on the monotonic clock; `end_ns=None` is open-ended.

    A fault's window (from `Timeline.fault_window`) starts at injection and ends at the heal, and
    carries the fault's `name`; contracts quote both in their evidence.
    """

    start_ns: int
    end_ns: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.end_ns is not None and self.end_ns < self.start_ns:
            raise ValueError(
                f"window {self.name or ''}: end_ns {self.end_ns} is before start_ns {self.start_ns}"
            )

    @classmethod
    def of(cls, span: Window | tuple[int, int | None]) -> Window:
        """Accept a Window or a plain `(start_ns, end_ns)` pair wherever a window is asked for."""
        if isinstance(span, Window):
            return span
        start, end = span
        return cls(start_ns=start, end_ns=end)

    @property
    def closed(self) -> bool:
        return self.end_ns is not None

    @property
    def duration_s(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e9

    def contains(self, ns: int) -> bool:
        return self.start_ns <= ns and (self.end_ns is None or ns <= self.end_ns)

    def overlaps(self, start_ns: int, end_ns: int) -> bool:
        """True if [start_ns, end_ns] shares at least one instant with this window."""
        return end_ns >= self.start_ns and (self.end_ns is None or start_ns <= self.end_ns)

    def shifted(self, *, start_s: float = 0.0, end_s: float = 0.0) -> Window:
        """This window with its edges moved by seconds (e.g. `end_s=grace_s` to add a grace period)."""
        return Window(
            start_ns=self.start_ns + round(start_s * 1e9),
            end_ns=None if self.end_ns is None else self.end_ns + round(end_s * 1e9),
            name=self.name,
        )
