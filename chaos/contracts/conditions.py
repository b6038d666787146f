"""How contracts classify a recorded request: failed, timed out, indeterminate, or matching a body flag.

    failure        a transport error, or an HTTP status >= 500 (the service could not serve it)
    timeout        one of TIMEOUT_ERRORS: the client gave up waiting; it counts as "hung"
    indeterminate  error "Cancelled": we stopped the load while it was in flight, so its outcome is
                   unknown (Jepsen's :info); contracts leave it out unless its latency alone
                   already breaks a bound
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chaos.observe import BodyValue, RequestDone

__all__ = ["CANCELLED", "TIMEOUT_ERRORS", "BodyField", "is_failure", "is_indeterminate", "is_timeout"]

CANCELLED: Final = "Cancelled"
TIMEOUT_ERRORS: Final = frozenset({"ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "Timeout"})


def is_indeterminate(request: RequestDone) -> bool:
    return request.error == CANCELLED


def is_timeout(request: RequestDone) -> bool:
    return request.error in TIMEOUT_ERRORS


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
