"""The API's error table, as in Toxiproxy's api.go: named errors with their status and message.

Each kind makes a fresh `chaos.errors.ToxiproxyApiError` (never a shared instance, whose traceback
would grow at every raise); `kind.error(detail)` joins a detail as Go's `joinError` does:
"missing required field: name". `render_error` in api.py writes them all the same way.

Our details never change the start of a message: "proxy not found: redis" still starts with
Toxiproxy's "proxy not found", which is what clients that match on text look for.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.errors import ToxiproxyApiError

__all__ = [
    "BAD_REQUEST_BODY",
    "INVALID_LISTEN",
    "INVALID_STREAM",
    "INVALID_TOXIC_TYPE",
    "LEASE_NOT_FOUND",
    "LISTEN_NOT_ALLOWED",
    "MISSING_FIELD",
    "PROXY_ALREADY_EXISTS",
    "PROXY_NOT_FOUND",
    "TOXIC_ALREADY_EXISTS",
    "TOXIC_NOT_FOUND",
    "ApiErrorKind",
    "server_error",
]


@dataclass(frozen=True, slots=True)
class ApiErrorKind:
    """One row of the table: the exact Toxiproxy message and status."""

    message: str
    status: int

    def error(self, detail: str | None = None) -> ToxiproxyApiError:
        message = f"{self.message}: {detail}" if detail else self.message
        return ToxiproxyApiError(status=self.status, message=message)


BAD_REQUEST_BODY = ApiErrorKind("bad request body", 400)
MISSING_FIELD = ApiErrorKind("missing required field", 400)
PROXY_NOT_FOUND = ApiErrorKind("proxy not found", 404)
PROXY_ALREADY_EXISTS = ApiErrorKind("proxy already exists", 409)
INVALID_STREAM = ApiErrorKind("stream was invalid, can be either upstream or downstream", 400)
INVALID_TOXIC_TYPE = ApiErrorKind("invalid toxic type", 400)
TOXIC_ALREADY_EXISTS = ApiErrorKind("toxic already exists", 409)
TOXIC_NOT_FOUND = ApiErrorKind("toxic not found", 404)
# Ours, worded like Toxiproxy's own: a listen address refused before anything binds (Toxiproxy
# would try to bind it and answer 500, or bind every interface), and the chaos extensions.
INVALID_LISTEN = ApiErrorKind("invalid listen address", 400)
LISTEN_NOT_ALLOWED = ApiErrorKind("listen address not allowed", 400)
LEASE_NOT_FOUND = ApiErrorKind("lease not found", 404)


def server_error(message: str) -> ToxiproxyApiError:
    """Any other failure (a bind error, say): status 500 with the error's own text, as Go does."""
    return ToxiproxyApiError(status=500, message=message)
