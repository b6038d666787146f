"""The fake external API's record of every API call, so experiments can assert on what reached it.

Each call is logged on arrival (stamped with `time.monotonic_ns()`, which on Linux is the same
CLOCK_MONOTONIC in every process, so the suite can put calls on its own timeline) and its entry
is completed with the status (and the index of the stub that answered, if one did) once answered;
the status stays `None` when the call was hung, reset, or abandoned by the client before an answer
went out.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["DEFAULT_CAPACITY", "LoggedRequest", "RequestLog"]

# Load loops are bounded, so this is never reached in an experiment; it only keeps a forgotten
# server from growing without bound. The oldest entries go first and are counted in `dropped`.
DEFAULT_CAPACITY = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedRequest:
    """One API call as the fake external API saw it."""

    seq: int              # call number since the server started or was reset (1-based)
    method: str
    path: str             # without the query string
    wall_time: float      # time.time() at arrival
    monotonic_ns: int     # time.monotonic_ns() at arrival, in the server process
    status: int | None    # status answered; None if hung, reset or abandoned before the answer
    query: str = ""       # the raw query string, "" if none
    stub: int | None = None   # index of the stub that answered; None: a fault, no stub, or no answer

    def to_wire(self) -> dict[str, Any]:
        return {"seq": self.seq, "method": self.method, "path": self.path, "query": self.query,
                "wall_time": self.wall_time, "monotonic_ns": self.monotonic_ns, "status": self.status,
                "stub": self.stub}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> LoggedRequest:
        status, stub = data["status"], data.get("stub")
        return cls(seq=int(data["seq"]), method=str(data["method"]), path=str(data["path"]),
                   query=str(data.get("query", "")), wall_time=float(data["wall_time"]),
                   monotonic_ns=int(data["monotonic_ns"]), status=None if status is None else int(status),
                   stub=None if stub is None else int(stub))


class RequestLog:
    """Arrival-ordered entries, bounded; entries are replaced (never mutated) when completed."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: collections.OrderedDict[int, LoggedRequest] = collections.OrderedDict()
        self._capacity = capacity
        self.dropped = 0

    def arrive(self, *, seq: int, method: str, path: str, query: str = "") -> LoggedRequest:
        entry = LoggedRequest(seq=seq, method=method, path=path, query=query, wall_time=time.time(),
                              monotonic_ns=time.monotonic_ns(), status=None)
        self._entries[seq] = entry
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
            self.dropped += 1
        return entry

    def answered(self, seq: int, status: int, *, stub: int | None = None) -> None:
        """Record the status sent (and the stub that answered); a no-op if the entry was cleared or
        dropped meanwhile."""
        entry = self._entries.get(seq)
        if entry is not None:
            self._entries[seq] = replace(entry, status=status, stub=stub)

    def entries(self, *, after_seq: int = 0) -> list[LoggedRequest]:
        return [e for s, e in self._entries.items() if s > after_seq]

    def clear(self) -> None:
        self._entries.clear()
        self.dropped = 0
