"""How contracts classify a recorded request: failed, timed out, indeterminate, or matching a body flag.

    failure        a transport error, or an HTTP status >= 500 (the service could not serve it)
    timeout        one of HUNG_ERRORS: the client gave up waiting (TIMEOUT_ERRORS), or the request
                   was not even sent (NOT_SENT: the open-model load's in-flight cap was reached by
                   requests the service had not answered); either counts as "hung"
    indeterminate  error "Cancelled": we stopped the load while it was in flight, so its outcome is
                   unknown (Jepsen's :info); contracts leave it out unless its latency alone
                   already breaks a bound

A request not sent is a failure and a hang for every contract that selects it by its (intended)
start: `bounded` counts it over budget, `fails_fast` a slow failure, `all_answer` an offender,
`recovers_within` a failure after the heal, `errors_only_within` a failure at its instant. That is
decided here, once: the checkers hold no code of their own for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chaos.observe import NOT_SENT, BodyValue, RequestDone

__all__ = [
    "CANCELLED",
    "HUNG_ERRORS",
    "TIMEOUT_ERRORS",
    "BodyField",
    "hang_text",
    "is_failure",
    "is_indeterminate",
    "is_timeout",
]

CANCELLED: Final = "Cancelled"
TIMEOUT_ERRORS: Final = frozenset({"ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "Timeout"})
HUNG_ERRORS: Final = TIMEOUT_ERRORS | {NOT_SENT}
"""What counts as hung: a timeout, or a request the load could not send for the ones in flight."""


def is_indeterminate(request: RequestDone) -> bool:
    return request.error == CANCELLED


def is_timeout(request: RequestDone) -> bool:
    """Hung: timed out, or not sent at all (see HUNG_ERRORS)."""
    return request.error in HUNG_ERRORS


def hang_text(request: RequestDone) -> str:
    """A hung request in a summary: "a timeout (ReadTimeout)", "a request not sent (12 in flight)"."""
    if request.not_sent:
        return f"a request not sent ({request.in_flight} in flight)"
    return f"a timeout ({request.error})"


def is_failure(request: RequestDone) -> bool:
    """A transport error (not a cancellation) or a 5xx answer."""
    if request.error is not None:
        return request.error != CANCELLED
    return request.status is not None and request.status >= 500


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyField:
    """A condition on an answer's JSON body: top-level field `name` equals `equals` (True by default).

    `BodyField(name="degraded")` holds for `{"degraded": true, ...}`; a missing field or a
    non-JSON body does not hold.
    """

    name: str
    equals: BodyValue = True

    def holds(self, request: RequestDone) -> bool:
        if request.body is None or self.name not in request.body:
            return False
        value = request.body[self.name]
        # 1 == True in Python; a flag must be a JSON boolean to match a boolean
        return value == self.equals and isinstance(value, bool) == isinstance(self.equals, bool)

    def describe(self) -> str:
        value = "true" if self.equals is True else "false" if self.equals is False else repr(self.equals)
        return f"body.{self.name} == {value}"
