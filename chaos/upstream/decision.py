"""What to do with one API call, decided from the behaviour in force and the call's place in it.

Each request-level fault is one rule: a function that either decides or passes (returns None).
The rules run in order and the first decision wins; the default answers `behaviour.status`.
A new fault (every k-th call, a fraction, a time window) is one more `Behaviour` field and one
more rule in `RULES`; nothing else changes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from chaos.upstream.behaviour import Behaviour

__all__ = ["RULES", "Action", "CallContext", "Decision", "decide"]


class Action(enum.StrEnum):
    """The three ways a call can end."""

    ANSWER = "answer"   # send `status` with a JSON body
    HANG = "hang"       # hold the call until the behaviour changes, then close without answering
    RESET = "reset"     # close the socket abruptly (RST) without answering


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """Where a call stands: its number since the behaviour was set (1-based) and since the start."""

    index_in_behaviour: int
    seq: int
    elapsed_in_behaviour_s: float   # since the behaviour was set; for time-window rules


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    action: Action
    status: int | None = None   # for ANSWER


Rule = Callable[[Behaviour, CallContext], Decision | None]


def _reset_connection(b: Behaviour, _call: CallContext) -> Decision | None:
    return Decision(action=Action.RESET) if b.reset_connection else None


def _hang(b: Behaviour, _call: CallContext) -> Decision | None:
    return Decision(action=Action.HANG) if b.hang else None


def _fail_first(b: Behaviour, call: CallContext) -> Decision | None:
    if call.index_in_behaviour <= b.fail_first:
        return Decision(action=Action.ANSWER, status=b.fail_status)
    return None


RULES: tuple[Rule, ...] = (_reset_connection, _hang, _fail_first)


def decide(behaviour: Behaviour, call: CallContext) -> Decision:
    """The first rule that decides wins; otherwise the call is answered with `behaviour.status`."""
    for rule in RULES:
        decision = rule(behaviour, call)
        if decision is not None:
            return decision
    return Decision(action=Action.ANSWER, status=behaviour.status)
