"""Request-level faults of the fake external API: every k-th call, a seeded fraction, a time window.

Values and rules first (pure), then the real server process: what callers get, what the log says,
the seed control route, and the 400s a bad behaviour earns.
"""

from __future__ import annotations

import time

import httpx
import pytest
from support.upstream_process import UpstreamProcess

from chaos.upstream.behaviour import Behaviour, InvalidBehaviour
from chaos.upstream.control import UpstreamControl


def statuses(upstream: UpstreamProcess, count: int) -> list[int]:
    with httpx.Client(base_url=upstream.url, timeout=5.0) as client:
        return [client.get(f"/call/{i}").status_code for i in range(count)]


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"fail_every": -1}, "fail_every"),
    ({"fail_every": 2.0}, "fail_every"),
    ({"fail_every_status": 700}, "fail_every_status"),
    ({"fail_fraction": 1.5}, "fail_fraction"),
    ({"fail_fraction": "0.5"}, "fail_fraction"),
    ({"fail_fraction": True}, "fail_fraction"),
    ({"fail_fraction_status": 100}, "fail_fraction_status"),
    ({"fail_from_s": -1}, "fail_from_s"),
    ({"fail_until_s": float("inf")}, "fail_until_s"),
    ({"fail_from_s": 2, "fail_until_s": 1}, "fail_until_s"),
    ({"fail_window_status": "503"}, "fail_window_status"),
    ({"seed": "7"}, "seed"),
])
def test_bad_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidBehaviour) as info:
        Behaviour(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_new_fields_round_trip_and_older_payloads_stay_valid() -> None:
    b = Behaviour(fail_every=3, fail_every_status=502, fail_fraction=0.25, fail_fraction_status=500,
                  fail_from_s=1.0, fail_until_s=2.5, fail_window_status=504, seed=9)
    assert Behaviour.from_wire(b.to_wire()) == b
    assert Behaviour.from_wire({"status": 429, "fail_first": 1}) == Behaviour(status=429, fail_first=1)


def test_window_bounds() -> None:
    only_until = Behaviour(fail_until_s=0.5)
    assert only_until.in_window(0.0)
    assert not only_until.in_window(0.5)  # the end is excluded
    open_ended = Behaviour(fail_from_s=1.0)
    assert not open_ended.in_window(0.99)
    assert open_ended.in_window(1e6)
    assert not Behaviour().in_window(0.0)


# --- the real server --------------------------------------------------------------------------


def test_every_kth_call_fails_with_its_status(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(fail_every=3, fail_every_status=502))
    assert statuses(upstream, 9) == [200, 200, 502] * 3
    assert [r.status for r in control.requests()] == [200, 200, 502] * 3


def test_fail_first_then_every_kth(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(fail_first=2, fail_status=503, fail_every=4, fail_every_status=500))
    assert statuses(upstream, 8) == [503, 503, 200, 500, 200, 200, 200, 500]


def test_a_seeded_fraction_fails_the_same_calls_every_time(upstream: UpstreamProcess,
                                                           control: UpstreamControl) -> None:
    control.set(Behaviour(fail_fraction=0.3, fail_fraction_status=503, seed=5))
    first = statuses(upstream, 40)
    assert 4 <= first.count(503) <= 20  # 0.3 of 40 = 12; the seed fixes the count, the bound checks the rate
    assert set(first) == {200, 503}
    control.set(Behaviour(fail_fraction=0.3, fail_fraction_status=503, seed=5))  # numbering restarts
    assert statuses(upstream, 40) == first
    control.set_seed(5)  # the server's seed, for behaviours without their own: the same draws
    control.set(Behaviour(fail_fraction=0.3, fail_fraction_status=503))
    assert statuses(upstream, 40) == first
    control.set(Behaviour(fail_fraction=0.3, fail_fraction_status=503, seed=6))
    assert statuses(upstream, 40) != first


def test_fraction_extremes(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(fail_fraction=1.0, fail_fraction_status=500))
    assert statuses(upstream, 5) == [500] * 5
    control.set(Behaviour(fail_fraction=0.0))
    assert statuses(upstream, 5) == [200] * 5


def test_calls_fail_inside_the_window_only(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    """Window [0.6 s, 1.6 s) after the behaviour is set; calls at ~0.1, ~1.1 and ~2.1 s. Each call lands
    at least 0.5 s from a window edge: the tolerance for scheduling on a loaded machine."""
    control.set(Behaviour(fail_from_s=0.6, fail_until_s=1.6, fail_window_status=504))
    set_at = time.monotonic()
    seen = []
    for at_s in (0.1, 1.1, 2.1):
        time.sleep(max(0.0, set_at + at_s - time.monotonic()))
        seen.extend(statuses(upstream, 1))
    assert seen == [200, 504, 200]


def test_until_a_number_of_seconds(upstream: UpstreamProcess, control: UpstreamControl) -> None:
    control.set(Behaviour(fail_until_s=0.8, fail_window_status=503))
    assert statuses(upstream, 2) == [503, 503]  # well inside the first 0.8 s (a few ms per call)
    time.sleep(1.0)  # 0.2 s past the window's end
    assert statuses(upstream, 2) == [200, 200]


def test_seed_route_and_reset(control: UpstreamControl) -> None:
    assert control.seed() is None  # started without --seed
    control.set_seed(1234)
    assert control.seed() == 1234
    control.set(Behaviour(status=500))
    assert control.seed() == 1234  # a new behaviour keeps the server's seed
    control.reset()
    assert control.seed() is None  # reset restores the seed the server started with


@pytest.mark.parametrize(("body", "message"), [
    ({"fail_fraction": 2}, "behaviour.fail_fraction: expected a fraction 0..1 (a number), got 2"),
    ({"fail_every": "3"}, "behaviour.fail_every: expected an integer >= 0, got '3'"),
    ({"fail_from_s": 3, "fail_until_s": 1}, "behaviour.fail_until_s: must be after fail_from_s (3 s), got 1"),
    ({"fail_evry": 3}, "behaviour.fail_evry: unknown field"),
])
def test_bad_behaviours_are_400_naming_the_field(upstream: UpstreamProcess, control: UpstreamControl,
                                                body: dict[str, object], message: str) -> None:
    response = httpx.put(upstream.url + "/__chaos/behaviour", json=body, timeout=5.0)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert control.behaviour() == Behaviour()  # nothing changed


@pytest.mark.parametrize(("body", "message"), [
    ({"seed": "x"}, "seed: expected an integer or null, got 'x'"),
    ({"seed": True}, "seed: expected an integer or null, got True"),
    ({}, 'body: expected {"seed": <integer or null>}'),
])
def test_bad_seeds_are_400(upstream: UpstreamProcess, control: UpstreamControl, body: dict[str, object],
                           message: str) -> None:
    response = httpx.put(upstream.url + "/__chaos/seed", json=body, timeout=5.0)
    assert (response.status_code, response.json()["error"]) == (400, message)
    assert control.seed() is None  # nothing changed
