"""A LoadSpec with small defaults, for the tests of the spec and its schedule (pure, no server)."""

from __future__ import annotations

from chaos.observe import LoadSpec, RequestSpec


def load_spec(**overrides: object) -> LoadSpec:
    """10 slots a second for 1 s, at most 2 in flight, unless overridden."""
    values: dict[str, object] = {
        "requests": [RequestSpec.parse("GET /ok")], "rate_per_s": 10.0, "concurrency": 2,
        "max_requests": 100, "duration_s": 1.0, "timeout_s": 0.5,
    }
    values.update(overrides)
    return LoadSpec(**values)  # type: ignore[arg-type]
