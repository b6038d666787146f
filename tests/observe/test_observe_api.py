"""chaos.observe exports exactly its public names, sorted (as httpx's test_exported_members)."""

from __future__ import annotations

import chaos.observe


def test_all_is_sorted_complete_and_importable() -> None:
    names = chaos.observe.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n[0].islower(), n))  # ruff's isort order
    public = {n for n in dir(chaos.observe) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(chaos.observe, n)).__name__ == "module"}
    assert set(names) == public - modules - {"annotations"}
