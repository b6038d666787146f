"""How contracts classify a recorded request: failed, hung, refused, indeterminate.

    failure        a transport error, or an HTTP status >= 500 (the service could not serve it)
    hung           one of HUNG_ERRORS: the client gave up waiting (TIMEOUT_ERRORS), or the request
                   was not even sent (NOT_SENT: the open-model load's in-flight cap was reached by
                   requests the service had not answered); either counts as "hung"
    refusal        a refused connection, or one reset before an answer (a closed listener resets
                   what was still in its accept queue): the service turned the request away
    indeterminate  error "Cancelled": we stopped the load while it was in flight, so its outcome is
                   unknown (Jepsen's :info); contracts leave it out unless its latency alone
                   already breaks a bound

A request not sent is a failure and a hang for every contract that selects it by its (intended)
start: `bounded` counts it over budget, `fails_fast` a slow failure, `all_answer` an offender,
`recovers_within` a failure after the heal, `errors_only_within` a failure at its instant. That is
decided here, once: the checkers hold no code of their own for it. Whether an *answer* is
acceptable is the target's convention, judged with `chaos.answers.holds`.
"""

from __future__ import annotations

from typing import Final

from chaos.answers import REFUSED_ERRORS, RESET_ERRORS, TIMEOUT_ERRORS
from chaos.observe import NOT_SENT, RequestDone

__all__ = [
    "CANCELLED",
    "HUNG_ERRORS",
    "TIMEOUT_ERRORS",
    "hang_text",
    "is_failure",
    "is_indeterminate",
    "is_refusal",
    "is_timeout",
]

CANCELLED: Final = "Cancelled"
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


def is_refusal(request: RequestDone) -> bool:
    """Turned away without an answer: refused, or reset before any byte of an answer."""
    return request.error in REFUSED_ERRORS or request.error in RESET_ERRORS


def is_failure(request: RequestDone) -> bool:
    """A transport error (not a cancellation) or a 5xx answer."""
    if request.error is not None:
        return request.error != CANCELLED
    return request.status is not None and request.status >= 500
