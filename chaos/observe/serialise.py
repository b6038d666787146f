"""The one JSON form of a timeline, for the journal, and its inverse so checkers can re-run on it.

    {"schema_version": 2, "anchor_ns": ..., "anchor_wall_s": ...,
     "events": [{"type": "RequestDone", "label": ..., "start_ns": ..., ...,
                 "offset_s": 1.25}, ...]}

Each event is its dataclass fields plus a `type` tag (the class name, see `EVENT_TYPES`) and a
derived `offset_s` (seconds from the anchor, for readers; ignored when loading). Bump
`SCHEMA_VERSION` on any incompatible change.

Version 2 (the open-model load) added `sent_ns` and `in_flight` to `RequestDone` and the error kind
"NotSent"; version 1 data still loads (those fields are absent there: None).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from chaos.observe.events import EVENT_TYPES, Event
from chaos.observe.timeline import Timeline

__all__ = ["SCHEMA_VERSION", "SUPPORTED_VERSIONS", "timeline_from_data", "timeline_to_data"]

SCHEMA_VERSION: Final = 2
SUPPORTED_VERSIONS: Final = (2,)
"""What `timeline_from_data` reads (version 1 kept top-level body fields; 2 keeps what answer specs read,
with the open-model load's sent_ns, in_flight and requests not sent)."""

_DERIVED = frozenset({"type", "offset_s"})


def timeline_to_data(timeline: Timeline) -> dict[str, object]:
    """The timeline as JSON-compatible data (dicts, lists, str, int, float, bool, None)."""
    events: list[dict[str, object]] = []
    for event in timeline.events():
        item: dict[str, object] = {"type": type(event).__name__, "offset_s": timeline.offset_s(event.at_ns)}
        for f in dataclasses.fields(event):  # type: ignore[arg-type]  # every Event is a dataclass
            value = getattr(event, f.name)
            item[f.name] = dict(value) if isinstance(value, Mapping) else value
        events.append(item)
    return {
        "schema_version": SCHEMA_VERSION,
        "anchor_ns": timeline.anchor_ns,
        "anchor_wall_s": timeline.anchor_wall_s,
        "events": events,
    }


def timeline_from_data(data: Mapping[str, object]) -> Timeline:
    """Rebuild a timeline from `timeline_to_data` output; ValueError names the bad event and field."""
    version = data.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"timeline data: schema_version {version!r} is not supported "
            f"(expected one of {', '.join(map(str, SUPPORTED_VERSIONS))})"
        )
    anchor_ns, anchor_wall_s = data.get("anchor_ns"), data.get("anchor_wall_s")
    raw_events = data.get("events")
    if not isinstance(anchor_ns, int) or not isinstance(anchor_wall_s, int | float):
        raise ValueError("timeline data: anchor_ns (int) and anchor_wall_s (number) are required")
    if not isinstance(raw_events, list):
        raise ValueError("timeline data: events must be a list")
    timeline = Timeline(anchor_ns=anchor_ns, anchor_wall_s=float(anchor_wall_s))
    for index, raw in enumerate(raw_events):
        timeline.append(_event_from_data(index, raw))
    return timeline


def _event_from_data(index: int, raw: object) -> Event:
    if not isinstance(raw, Mapping):
        raise ValueError(f"timeline data: events[{index}] is not an object")
    type_name = raw.get("type")
    cls = EVENT_TYPES.get(str(type_name))
    if cls is None:
        raise ValueError(
            f"timeline data: events[{index}].type {type_name!r} is unknown (known: {sorted(EVENT_TYPES)})"
        )
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(raw) - names - _DERIVED
    if unknown:
        raise ValueError(f"timeline data: events[{index}] ({type_name}) has unknown fields {sorted(unknown)}")
    try:
        return cls(**{k: v for k, v in raw.items() if k in names})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"timeline data: events[{index}] ({type_name}): {exc}") from exc
