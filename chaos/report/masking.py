"""Secrets never reach an output: every text the suite writes passes through one mask.

The target file's secrets (`Target.secrets`: every `{env.NAME}` value, and literal values of
credential-like headers and variables) are replaced by `***` wherever they appear: journals,
the HTML built from them, log files kept for failed experiments, the terminal and the test's
failure message. Longer secrets are replaced first, so one that contains another is masked whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, TypeVar, cast

__all__ = ["MASK", "SecretMask"]

MASK: Final = "***"

T = TypeVar("T")


class SecretMask:
    """Replaces each of `secrets` by `***` in texts and in JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: T) -> T:
        """`value` with every string inside (keys included) masked; other values unchanged."""
        if not self.secrets:
            return value
        return cast(T, self._data(value))

    def _data(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self._data(k): self._data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._data(v) for v in value]
        return value
