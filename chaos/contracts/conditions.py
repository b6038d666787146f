"""How contracts classify a recorded request: failed, timed out, refused, indeterminate.

    failure        a transport error, or an HTTP status >= 500 (the service could not serve it)
    timeout        one of TIMEOUT_ERRORS: the client gave up waiting; it counts as "hung"
    refusal        a refused connection, or one reset before an answer (a closed listener resets
                   what was still in its accept queue): the service turned the request away
    indeterminate  error "Cancelled": we stopped the load while it was in flight, so its outcome is
                   unknown (Jepsen's :info); contracts leave it out unless its latency alone
                   already breaks a bound

Whether an *answer* is acceptable is the target's convention, judged with `chaos.answers.holds`.
"""

from __future__ import annotations

from typing import Final

from chaos.answers import REFUSED_ERRORS, RESET_ERRORS, TIMEOUT_ERRORS
from chaos.observe import RequestDone

__all__ = ["CANCELLED", "TIMEOUT_ERRORS", "is_failure", "is_indeterminate", "is_refusal", "is_timeout"]

CANCELLED: Final = "Cancelled"


def is_indeterminate(request: RequestDone) -> bool:
    return request.error == CANCELLED


def is_timeout(request: RequestDone) -> bool:
    return request.error in TIMEOUT_ERRORS


def is_refusal(request: RequestDone) -> bool:
    """Turned away without an answer: refused, or reset before any byte of an answer."""
    return request.error in REFUSED_ERRORS or request.error in RESET_ERRORS


def is_failure(request: RequestDone) -> bool:
    """A transport error (not a cancellation) or a 5xx answer."""
    if request.error is not None:
        return request.error != CANCELLED
    return request.status is not None and request.status >= 500
