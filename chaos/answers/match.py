"""Judging one recorded request against an answer spec: `holds`, and `shown` for the evidence.

Pure and total: any request (an answer, a transport error, a cancellation) gives True or False,
and `shown` says what the request showed of the things the spec looks at, so a failed check can
name the extractor, the expectation and what it saw ("header x-cache: absent").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

from chaos.answers.capture import SeenValue, compiled_pattern, header_key, json_key, pattern_key
from chaos.answers.spec import AllOf, Answer, AnyOf, BodyMatches, Header, JsonValue, Not, Outcome, Status

__all__ = ["REFUSED_ERRORS", "RESET_ERRORS", "TIMEOUT_ERRORS", "Observed", "holds", "outcome_of", "shown"]

TIMEOUT_ERRORS: Final = frozenset({"ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "Timeout"})
"""The client gave up waiting ("Timeout" is the total deadline of `send_recorded`)."""

REFUSED_ERRORS: Final = frozenset({"ConnectError", "ConnectionRefusedError"})
"""Nothing accepted the connection (httpx raises ConnectError for ECONNREFUSED)."""

RESET_ERRORS: Final = frozenset({
    "ReadError", "WriteError", "RemoteProtocolError", "ConnectionResetError", "BrokenPipeError",
    "ConnectionAbortedError",
})
"""The connection was accepted, then reset or closed before an answer: a peer that died, or a
listener closed with connections still in its accept queue (the kernel resets those)."""


class Observed(Protocol):
    """What the matcher reads of a recorded request (`chaos.observe.RequestDone` is one)."""

    @property
    def status(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...

    @property
    def seen(self) -> Mapping[str, SeenValue] | None: ...


def outcome_of(error: str | None) -> Outcome | None:
    """The transport outcome an error kind stands for; None for an answer or an unclassified error."""
    if error in REFUSED_ERRORS:
        return Outcome.REFUSED
    if error in RESET_ERRORS:
        return Outcome.RESET
    if error in TIMEOUT_ERRORS:
        return Outcome.TIMEOUT
    return None


def holds(answer: Answer, request: Observed) -> bool:
    """Whether the request's outcome looks like `answer`."""
    if isinstance(answer, Status):
        return _status_holds(answer, request)
    if isinstance(answer, AllOf):
        return all(holds(p, request) for p in answer.parts)
    if isinstance(answer, AnyOf):
        return any(holds(p, request) for p in answer.parts)
    if isinstance(answer, Not):
        return not holds(answer.part, request)
    if request.status is None:
        return False   # no answer: no header, no body to look at
    seen = request.seen or {}
    if isinstance(answer, Header):
        return _value_holds(seen, header_key(answer.name), answer.equals, answer.matches, answer.present)
    if isinstance(answer, JsonValue):
        return _value_holds(seen, json_key(answer.path), answer.equals, answer.matches, answer.present)
    assert isinstance(answer, BodyMatches)
    return pattern_key(answer.pattern) in seen


def shown(answer: Answer, request: Observed) -> str:
    """What the request showed of what `answer` looks at: "status 503, header x-cache: absent"."""
    head = str(request.status) if request.status is not None else (request.error or "no answer")
    parts = [f"status {head}"] if request.status is not None else [head]
    seen = request.seen or {}
    if request.status is not None:
        for key in _keys(answer):
            what = key.replace(":", " ", 1)   # "header x-cache", "json meta.source", "match x+"
            parts.append(f"{what}: {_render(seen[key])}" if key in seen else f"{what}: absent")
    return ", ".join(dict.fromkeys(parts))


def _status_holds(answer: Status, request: Observed) -> bool:
    status = request.status
    if status is not None:
        return status in answer.codes or status // 100 in answer.classes
    outcome = outcome_of(request.error)
    return outcome is not None and outcome in answer.outcomes


def _value_holds(seen: Mapping[str, SeenValue], key: str, equals: object, matches: str | None,
                 present: bool) -> bool:
    if key not in seen:
        return not present
    if not present:
        return False
    value = seen[key]
    if equals is not None:
        # 1 == True in Python; a JSON boolean only equals a boolean
        return value == equals and isinstance(value, bool) == isinstance(equals, bool)
    if matches is not None:
        return value is not None and compiled_pattern(matches).search(_text(value)) is not None
    return True


def _keys(answer: Answer) -> list[str]:
    if isinstance(answer, Header):
        return [header_key(answer.name)]
    if isinstance(answer, JsonValue):
        return [json_key(answer.path)]
    if isinstance(answer, BodyMatches):
        return [pattern_key(answer.pattern)]
    if isinstance(answer, AllOf | AnyOf):
        return [k for p in answer.parts for k in _keys(p)]
    if isinstance(answer, Not):
        return _keys(answer.part)
    return []


def _text(value: SeenValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render(value: SeenValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
