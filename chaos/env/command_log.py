"""What an environment ran on the deployment: every command with its exit code and duration.

Only the attach backend runs commands (chaos.env.attach); the managed backends' logs stay empty.
Actions (a restart, a signal) are recorded one by one. Queries (pid, exit_code, ready, logs) run
many times a second while the service is watched, so a successful one is counted, not recorded:
per component and action, how many ran and the slowest; a failed or timed-out query is recorded
like an action. An experiment reads what ran during it from a mark taken at its start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Final

__all__ = ["MAX_RECORDS", "CommandLog", "CommandRun", "QueryCount"]

MAX_RECORDS: Final = 10_000
"""A game day of hours may fail a flaky query thousands of times; older records are dropped first."""
QUERY_ACTIONS: Final = frozenset({"pid", "exit_code", "ready", "logs"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRun:
    """One command run on the deployment, as the journal records it (command and output masked)."""

    what: str                 # "stop postgres", "signal TERM to the service"
    action: str               # the declared command's action (chaos.targetfile.attach.Action)
    component: str            # "service" or the dependency's name
    command: str              # as a person would type it, masked
    exit_code: int | None     # None: timed out, or it could not be started
    duration_s: float
    started_ns: int           # time.monotonic_ns() at the start (the timeline's clock)
    timed_out: bool = False
    output: str = ""          # the end of its output, masked

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def is_query(self) -> bool:
        """It only asks (pid, exit_code, ready, logs); an action changes the deployment."""
        return self.action in QUERY_ACTIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryCount:
    """Successful runs of one query command: how many, and the slowest."""

    component: str
    action: str
    command: str
    runs: int
    max_s: float


class CommandLog:
    """Commands an environment ran, in order; thread-safe (faults, heal and watchers run them)."""

    def __init__(self) -> None:
        self._runs: list[CommandRun] = []
        self._dropped = 0
        self._queries: dict[tuple[str, str], QueryCount] = {}
        self._lock = threading.Lock()

    def add(self, run: CommandRun) -> None:
        with self._lock:
            if run.is_query and run.ok:
                key = (run.component, run.action)
                seen = self._queries.get(key)
                self._queries[key] = QueryCount(component=run.component, action=run.action, command=run.command,
                                                runs=1, max_s=run.duration_s) if seen is None else replace(
                    seen, runs=seen.runs + 1, max_s=max(seen.max_s, run.duration_s))
                return
            self._runs.append(run)
            if len(self._runs) > MAX_RECORDS:
                del self._runs[0]
                self._dropped += 1

    def mark(self) -> tuple[int, dict[tuple[str, str], int]]:
        """A position to read from later (`since`)."""
        with self._lock:
            return self._dropped + len(self._runs), {k: q.runs for k, q in self._queries.items()}

    def since(self, mark: tuple[int, dict[tuple[str, str], int]]) -> tuple[list[CommandRun], list[QueryCount]]:
        """What ran since `mark`: the recorded runs, and the successful queries counted."""
        position, counted = mark
        with self._lock:
            runs = list(self._runs[max(0, position - self._dropped):])
            queries = [replace(q, runs=q.runs - counted.get(k, 0)) for k, q in self._queries.items()
                       if q.runs > counted.get(k, 0)]
        return runs, queries

    def __len__(self) -> int:
        with self._lock:
            return self._dropped + len(self._runs) + sum(q.runs for q in self._queries.values())
