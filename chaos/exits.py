"""How a process ended, in words: "exit code 0", "killed by SIGKILL".

Exit codes are kept as numbers everywhere in the data (subprocess style: negative means killed by
that signal, the docker backend converts 128+N to -N), and turned into words only where people read
them: the report, a fault's effects, a contract's evidence. One function, so "-9" never shows up
in one place and "SIGKILL" in another.
"""

from __future__ import annotations

import signal

__all__ = ["exit_text", "exited"]


def exit_text(code: int) -> str:
    """ "exit code 0", "exit code 3", "killed by SIGKILL" (-9), "killed by signal 77" (no such name here)."""
    if code >= 0:
        return f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"killed by signal {-code}"
    return f"killed by {name}"


def exited(code: int) -> str:
    """The same as a verb phrase, for sentences about a process: "exited with code 0", "was killed by SIGKILL"."""
    return f"exited with code {code}" if code >= 0 else f"was {exit_text(code)}"
