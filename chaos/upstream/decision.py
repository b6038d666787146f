"""What to do with one API call, decided from the behaviour in force and the call's place in it.

Each request-level fault is one rule: a function that either decides or passes (returns None).
The rules run in order and the first decision wins (`rule_decision`); when none decides, `decide`
answers `behaviour.status`, and the server answers with its stubs if it has any.
A new fault is one more `Behaviour` field and one more rule in `RULES`, as the time window, every
k-th call and the seeded fraction were added; nothing else changes.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass

from chaos.upstream.behaviour import Behaviour

__all__ = ["RULES", "Action", "CallContext", "Decision", "call_draw", "decide", "rule_decision"]


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
    draw: float = 1.0               # this call's uniform draw in [0, 1), for fraction rules (1.0: never)


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


def _fail_window(b: Behaviour, call: CallContext) -> Decision | None:
    if b.in_window(call.elapsed_in_behaviour_s):
        return Decision(action=Action.ANSWER, status=b.fail_window_status)
    return None


def _fail_every(b: Behaviour, call: CallContext) -> Decision | None:
    if b.fail_every and call.index_in_behaviour % b.fail_every == 0:
        return Decision(action=Action.ANSWER, status=b.fail_every_status)
    return None


def _fail_fraction(b: Behaviour, call: CallContext) -> Decision | None:
    if call.draw < b.fail_fraction:
        return Decision(action=Action.ANSWER, status=b.fail_fraction_status)
    return None


RULES: tuple[Rule, ...] = (_reset_connection, _hang, _fail_first, _fail_window, _fail_every, _fail_fraction)


def call_draw(seed: int, index_in_behaviour: int) -> float:
    """The uniform draw of call number `index_in_behaviour` under `seed`: a pure function of both,
    so a replay fails the same calls whatever their timing (string seeds hash with SHA-512)."""
    return random.Random(f"{seed}/{index_in_behaviour}").random()


def rule_decision(behaviour: Behaviour, call: CallContext) -> Decision | None:
    """The decision of the first rule that decides, or None when no fault applies to this call
    (the server then answers as the API would: its stubs, or `behaviour.status`)."""
    for rule in RULES:
        decision = rule(behaviour, call)
        if decision is not None:
            return decision
    return None


def decide(behaviour: Behaviour, call: CallContext) -> Decision:
    """The first rule that decides wins; otherwise the call is answered with `behaviour.status`."""
    return rule_decision(behaviour, call) or Decision(action=Action.ANSWER, status=behaviour.status)
