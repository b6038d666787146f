"""How the fake external API answers its calls: one immutable `Behaviour`, validated on both ends.

The wire format is the dataclass's fields as a flat JSON object. Every field has a default and a
missing field takes it, so a new request-level fault (fail every k-th call, a fraction of calls, a
time window) is added as one more optional field plus one rule in `chaos.upstream.decision`:
payloads written for older versions stay valid, and unknown fields are refused with their name
so a typo never silently means "behave normally".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Behaviour", "InvalidBehaviour"]

_MIN_STATUS = 200   # 1xx are interim answers: aiohttp cannot send one as the final response
_MAX_STATUS = 599


class InvalidBehaviour(ValueError):
    """A behaviour field has a value the server cannot act on; `field` names it."""

    def __init__(self, *, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"behaviour.{field}: {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """What every API call gets until the behaviour is changed or reset.

    Order of effects for one call: `latency_ms` first (every call), then `reset_connection`, then
    `hang`, then the request-level failures, the first that applies winning: the first `fail_first`
    calls since this behaviour was set answer `fail_status`; calls arriving inside the window
    [`fail_from_s`, `fail_until_s`) after it was set answer `fail_window_status`; every
    `fail_every`-th call (k, 2k, ...) answers `fail_every_status`; a `fail_fraction` of calls,
    drawn per call, answer `fail_fraction_status`. The rest answer `status`; with stubs declared, a
    2xx `status` leaves the answer to the matching stub (see `chaos.upstream.server`).
    `retry_after_s` is sent as `Retry-After` with every answer of ours whose status is not 2xx (as
    an integer when whole, else a decimal, which our SUT also accepts), never with a stub's own.

    The fraction is drawn from the call's number and a seed (`seed`, else the server's, set with
    `UpstreamControl.set_seed`), so the same seed fails the same calls in a replay; with no seed
    at all the draws come from the OS and cannot be replayed.
    """

    latency_ms: int = 0                  # added before answering (ms)
    status: int = 200                    # status of answered calls
    retry_after_s: float | None = None   # sent as Retry-After on non-2xx answers (seconds)
    hang: bool = False                   # never answer; closed when the behaviour changes or on reset
    fail_first: int = 0                  # the first N calls after this behaviour was set get fail_status
    fail_status: int = 503
    reset_connection: bool = False       # close the socket abruptly (RST) without answering
    fail_every: int = 0                  # every k-th call since set fails (k, 2k, ...); 0: off, 1: all
    fail_every_status: int = 503
    fail_fraction: float = 0.0           # this share of calls fails (0..1), drawn per call
    fail_fraction_status: int = 503
    fail_from_s: float | None = None     # failure window start, seconds after set (0 if only until is given)
    fail_until_s: float | None = None    # failure window end, seconds after set (None: no end)
    fail_window_status: int = 503
    seed: int | None = None              # seed of the fraction draws (None: the server's seed)

    def __post_init__(self) -> None:
        _check_int(self.latency_ms, "latency_ms", minimum=0)
        _check_status(self.status, "status")
        if self.retry_after_s is not None:
            _check_number(self.retry_after_s, "retry_after_s")
        _check_bool(self.hang, "hang")
        _check_int(self.fail_first, "fail_first", minimum=0)
        _check_status(self.fail_status, "fail_status")
        _check_bool(self.reset_connection, "reset_connection")
        _check_int(self.fail_every, "fail_every", minimum=0)
        _check_status(self.fail_every_status, "fail_every_status")
        _check_fraction(self.fail_fraction, "fail_fraction")
        _check_status(self.fail_fraction_status, "fail_fraction_status")
        for name in ("fail_from_s", "fail_until_s"):
            if getattr(self, name) is not None:
                _check_number(getattr(self, name), name)
        if self.fail_from_s is not None and self.fail_until_s is not None and self.fail_until_s <= self.fail_from_s:
            raise InvalidBehaviour(field="fail_until_s", problem=f"must be after fail_from_s ({self.fail_from_s:g} s), "
                                                                 f"got {self.fail_until_s:g}")
        _check_status(self.fail_window_status, "fail_window_status")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise InvalidBehaviour(field="seed", problem=f"expected an integer or null, got {self.seed!r}")
        if self.hang and self.reset_connection:
            raise InvalidBehaviour(field="reset_connection",
                                   problem="cannot be combined with hang (choose one way of not answering)")

    @property
    def has_window(self) -> bool:
        return self.fail_from_s is not None or self.fail_until_s is not None

    def in_window(self, elapsed_s: float) -> bool:
        """Whether a call `elapsed_s` after this behaviour was set falls in the failure window."""
        if not self.has_window:
            return False
        start = self.fail_from_s or 0.0
        return start <= elapsed_s and (self.fail_until_s is None or elapsed_s < self.fail_until_s)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent to and returned by `PUT /__chaos/behaviour`."""
        return asdict(self)

    @classmethod
    def from_wire(cls, data: object) -> Behaviour:
        """Parse a JSON object; unknown or ill-typed fields raise `InvalidBehaviour` naming the field."""
        if not isinstance(data, Mapping):
            raise InvalidBehaviour(field="<body>",
                                   problem=f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidBehaviour(field=str(key),
                                       problem=f"unknown field (known: {', '.join(sorted(known))})")
        return cls(**{str(k): v for k, v in data.items()})


def _check_bool(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidBehaviour(field=name, problem=f"expected true or false, got {value!r}")


def _check_int(value: object, name: str, *, minimum: int) -> None:
    # bool is an int subclass: `true` for a count is a mistake, not 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBehaviour(field=name, problem=f"expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidBehaviour(field=name, problem=f"expected an integer >= {minimum}, got {value}")


def _check_status(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not _MIN_STATUS <= value <= _MAX_STATUS:
        raise InvalidBehaviour(field=name,
                               problem=f"expected an HTTP status {_MIN_STATUS}..{_MAX_STATUS}, got {value!r}")


def _check_fraction(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidBehaviour(field=name, problem=f"expected a fraction 0..1 (a number), got {value!r}")


def _check_number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidBehaviour(field=name, problem=f"expected seconds >= 0 (a number) or null, got {value!r}")
