"""chaos.answers exports exactly its public names, sorted (as httpx's test_exported_members)."""

from __future__ import annotations

import chaos.answers


def test_all_is_sorted_complete_and_importable() -> None:
    names = chaos.answers.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n[0].islower(), n))  # ruff's isort order
    public = {n for n in dir(chaos.answers) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(chaos.answers, n)).__name__ == "module"}
    assert set(names) == public - modules - {"annotations"}
    for name in names:
        assert getattr(chaos.answers, name) is not None
