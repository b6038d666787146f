"""chaos.report's public names: listed once, in order, and all importable."""

from __future__ import annotations

from types import ModuleType

import chaos.report


def test_public_names_are_sorted_and_exist() -> None:
    names = chaos.report.__all__
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    assert list(names) == sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert [n for n in names if not hasattr(chaos.report, n)] == []
    public = {n for n, v in vars(chaos.report).items() if not n.startswith("_") and not isinstance(v, ModuleType)}
    assert public == set(names)
