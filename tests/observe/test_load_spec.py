"""RequestSpec parsing and LoadSpec's bounds, model and in-flight cap (pure: no server, no clock)."""

from __future__ import annotations

import pytest
from support.loads import load_spec

from chaos.observe import MAX_IN_FLIGHT, LoadModel, RequestSpec

spec = load_spec


def test_request_spec_parse_and_label() -> None:
    r = RequestSpec.parse("get /api/items?page=1")
    assert (r.method, r.path, r.name) == ("GET", "/api/items?page=1", "GET /api/items?page=1")
    booked = RequestSpec.parse("POST /api/bookings", json={"slot": 1}, label="book")
    assert booked.name == "book"
    assert booked.json == {"slot": 1}
    # any method token is sent as written (WebDAV's PROPFIND, a service's own verbs): real clients do
    assert RequestSpec.parse("propfind /dav").method == "PROPFIND"
    for bad, message in [("GET", "expected 'METHOD /path'"), ("G;T /x", "not an HTTP method"),
                         ("1GET /x", "not an HTTP method"), ("GET x", "must start with '/'")]:
        with pytest.raises(ValueError, match=message):
            RequestSpec.parse(bad)
    with pytest.raises(ValueError, match="give at most one of json, form, text"):
        RequestSpec(method="POST", path="/x", json={"a": 1}, form={"a": "1"})


def test_schedule_is_open_loop_and_stops_at_either_limit() -> None:
    by_time = spec(rate_per_s=10, duration_s=1.0, max_requests=100)
    assert [by_time.due_s(i) for i in (0, 1, 9)] == [0.0, 0.1, 0.9]
    assert by_time.due_s(10) is None
    assert by_time.planned == 10
    by_count = spec(rate_per_s=10, duration_s=60, max_requests=3)
    assert by_count.due_s(2) == pytest.approx(0.2)
    assert by_count.due_s(3) is None
    assert by_count.planned == 3
    assert spec(timeout_s=0.5).max_run_s == pytest.approx(2.0)  # duration + 2 x timeout (default deadline)
    assert spec(timeout_s=0.5, deadline_s=0.7).max_run_s == pytest.approx(1.7)


@pytest.mark.parametrize("field", ["rate_per_s", "concurrency", "max_requests", "duration_s", "timeout_s",
                                   "deadline_s"])
@pytest.mark.parametrize("value", [0, -1, float("inf")])
def test_every_limit_must_be_positive_and_finite(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{field} must be > 0"):
        spec(**{field: value})


def test_requests_are_required() -> None:
    with pytest.raises(ValueError, match="at least one RequestSpec"):
        spec(requests=[])


def test_the_open_model_is_the_default_and_its_cap_covers_a_hang_as_long_as_the_deadline() -> None:
    # 40/s with a 5 s timeout (10 s deadline): at most 400 in flight however long the service hangs,
    # + 1 for the slot due as the oldest gives up
    forty = spec(rate_per_s=40, timeout_s=5.0, duration_s=30, max_requests=10_000, concurrency=None)
    assert forty.model is LoadModel.OPEN
    assert forty.max_in_flight == 401
    assert spec(rate_per_s=10, timeout_s=0.25, deadline_s=0.35, duration_s=60, concurrency=None,
                max_requests=1000).max_in_flight == 5       # ceil(3.5) + 1
    assert spec(rate_per_s=100, timeout_s=10, duration_s=60, max_requests=10_000,
                concurrency=None).max_in_flight == MAX_IN_FLIGHT == 512   # the hard bound
    assert spec(rate_per_s=40, timeout_s=5, max_requests=3, concurrency=None).max_in_flight == 3  # only 3 slots
    assert spec(concurrency=7).max_in_flight == 7           # an explicit cap
    closed = spec(model=LoadModel.CLOSED, concurrency=3)
    assert (closed.model, closed.max_in_flight) == (LoadModel.CLOSED, 3)
    assert spec(model="closed", concurrency=3).model is LoadModel.CLOSED   # a StrEnum: its value works too


@pytest.mark.parametrize(("overrides", "message"), [
    ({"model": LoadModel.CLOSED, "concurrency": None}, "concurrency is required by the closed model"),
    ({"concurrency": MAX_IN_FLIGHT + 1}, "concurrency must be <= 512"),
    ({"model": "half-open"}, "model must be one of open, closed, got 'half-open'"),
])
def test_model_and_cap_misuse_is_named(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec(**overrides)
