"""The journal's JSON Schema (`journal.schema.json`, shipped with the package) and a validator over it.

`chaos report` validates every journal it reads, so a hand-edited or foreign file is refused with
the field at fault instead of breaking the renderer halfway.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jsonschema

__all__ = ["journal_schema", "schema_problems"]


@functools.cache
def journal_schema() -> Mapping[str, Any]:
    """The schema document (draft 2020-12), loaded once from the package data."""
    text = resources.files("chaos.report").joinpath("journal.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Any:
    schema = journal_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_problems(data: object) -> list[str]:
    """Every way `data` departs from the schema, as "<json path>: <problem>" lines (empty: valid)."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{e.json_path}: {e.message}" for e in errors]
