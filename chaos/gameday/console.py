"""The operator's terminal: one status line redrawn in place, messages above it, and commands typed
as a letter and Enter. Plain text and two escape codes (carriage return, erase line): no mouse, no
curses, so it works over ssh, tmux and the pseudo-terminal the tests drive it through.

Under pytest the standard streams are captured, so a game day talks to the controlling terminal
(/dev/tty) directly.
"""

from __future__ import annotations

import contextlib
import os
import select
from types import TracebackType

from chaos.errors import ChaosError

__all__ = ["Console"]

_ERASE = "\r\x1b[K"


class Console:
    """Reads commands from `in_fd` and writes to `out_fd` (often the same terminal)."""

    def __init__(self, in_fd: int, out_fd: int, *, owned: bool = False) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self._owned = owned
        self._pending = b""

    @classmethod
    def open_tty(cls) -> Console:
        """The controlling terminal; ChaosError if the process has none (CI, a pipe)."""
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError as exc:
            raise ChaosError(f"a game day needs a terminal (/dev/tty: {exc.strerror}); run it from a shell, "
                             "not from CI or a pipe") from exc
        return cls(fd, fd, owned=True)

    def say(self, text: str) -> None:
        """A message on its own line(s), above the status line."""
        self._write(_ERASE + text.replace("\n", "\r\n") + "\r\n")

    def status(self, text: str) -> None:
        """Redraw the status line in place."""
        self._write(_ERASE + text)

    def command(self, timeout_s: float) -> str | None:
        """The next command typed (lower-cased, stripped; "" for a bare Enter), or None if none came
        within `timeout_s`."""
        while b"\n" not in self._pending:
            ready, _, _ = select.select([self.in_fd], [], [], max(0.0, timeout_s))
            if not ready:
                return None
            chunk = os.read(self.in_fd, 1024)
            if not chunk:  # the terminal went away: nobody will ever answer
                raise ChaosError("the game day's terminal closed")
            self._pending += chunk
            timeout_s = 0.0
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode(errors="replace").strip().lower()

    def close(self) -> None:
        if self._owned:
            self._owned = False
            with contextlib.suppress(OSError):
                os.close(self.in_fd)

    def __enter__(self) -> Console:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _write(self, text: str) -> None:
        data = text.encode()
        while data:
            data = data[os.write(self.out_fd, data):]
