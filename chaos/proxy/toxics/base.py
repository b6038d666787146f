"""What every toxic is: a frozen dataclass of its wire attributes plus one `pipe(stub)` coroutine.

Attributes keep Toxiproxy's JSON names and integer units (each field says its unit), so any
Toxiproxy client can drive us. Optional abilities are separate Protocols, like Go's CleanupToxic and
StatefulToxic interfaces, detected when a toxic is removed or a connection starts.

Validation is stricter than Toxiproxy on purpose (it crashes on negative rates and on slicer
average_size 0, and silently accepts unknown attribute names): every attribute must be an integer
from 0 to 2**63 - 1 (Go's int64, which Toxiproxy decodes into), unknown names are refused, and a
toxic may add rules in `check()`. Each problem raises `ToxicAttributeError` (a ValueError) whose
message names the attribute; the API answers 400.
"""

from __future__ import annotations

import difflib
from dataclasses import Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from chaos.proxy.stub import ToxicStub

__all__ = ["CleanupToxic", "StatefulToxic", "Toxic", "ToxicAttributeError", "attribute", "build_toxic"]

T = TypeVar("T", bound="Toxic")

INT64_MAX = (1 << 63) - 1


class ToxicAttributeError(ValueError):
    """A toxic attribute is unknown, of the wrong JSON type, or out of range (message names it)."""


def attribute(unit: str) -> int:
    """A wire attribute: an integer defaulting to 0 (Toxiproxy's zero value), in `unit`."""
    return field(default=0, metadata={"unit": unit})


@dataclass(frozen=True, slots=True, kw_only=True)
class Toxic:
    """Base of every toxic. Subclasses declare attributes with `attribute(unit)` and a `pipe`."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int:  # bool is an int subclass: refuse it too
                raise ToxicAttributeError(f"{f.name}: expected an integer ({_unit(f)}), got {value!r}")
            if value < 0:
                raise ToxicAttributeError(f"{f.name}: must be >= 0 ({_unit(f)}), got {value}")
            if value > INT64_MAX:
                raise ToxicAttributeError(f"{f.name}: must be <= {INT64_MAX} ({_unit(f)}), got {value}")
        self.check()

    def check(self) -> None:
        """Extra rules beyond "integers >= 0"; raise ToxicAttributeError naming the attribute."""

    def attributes(self) -> dict[str, int]:
        """The wire attributes in declaration order (Toxiproxy's JSON field order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    async def pipe(self, stub: ToxicStub) -> None:
        """Move items from `stub.input` to `stub.output` until the stream ends.

        Contract (as Toxiproxy's Pipe): on an end marker, `stub.close(end)` and return; if
        cancelled (interrupted) while holding data, send or unread it before re-raising."""
        raise NotImplementedError


@runtime_checkable
class CleanupToxic(Protocol):
    """A toxic that must act on every live link when it is removed (timeout closes them)."""

    def cleanup(self, stub: ToxicStub) -> None: ...


@runtime_checkable
class StatefulToxic(Protocol):
    """A toxic with per-connection state kept across updates (limit_data's byte count)."""

    def new_state(self) -> object: ...


def build_toxic(cls: type[T], raw: object, current: T | None = None) -> T:
    """A toxic of type `cls` from JSON `attributes`, merged over `current` (partial updates merge).

    A JSON null (or no attributes at all) keeps the current or zero value, as Go's decoder does;
    names match case-insensitively as in Go, and an integral float such as 100.0 counts as 100.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ToxicAttributeError(f"attributes: expected a JSON object, got {raw!r}")
    known: dict[str, Field[Any]] = {f.name: f for f in fields(cls)}
    values: dict[str, object] = dict(current.attributes()) if current is not None else {}
    for key, raw_value in raw.items():
        name = _match(key, known)
        if raw_value is None:
            continue
        integral = type(raw_value) is float and raw_value.is_integer()
        values[name] = int(raw_value) if integral else raw_value
    return cls(**values)  # __post_init__ checks every value


def _match(key: str, known: dict[str, Field[Any]]) -> str:
    if key in known:
        return key
    for name in known:
        if name.lower() == key.lower():
            return name
    hint = difflib.get_close_matches(key, list(known), n=1)
    allowed = ", ".join(known) or "none"
    maybe = f"; did you mean {hint[0]!r}?" if hint else ""
    raise ToxicAttributeError(f"unknown attribute {key!r} (this toxic takes: {allowed}){maybe}")


def _unit(f: Field[Any]) -> str:
    return str(f.metadata.get("unit", ""))
