"""Behaviour validation and the rule order, without a server (pure values)."""

from __future__ import annotations

import pytest

from chaos.upstream.behaviour import Behaviour, InvalidBehaviour
from chaos.upstream.decision import Action, CallContext, Decision, decide


def _call(index: int) -> CallContext:
    return CallContext(index_in_behaviour=index, seq=index, elapsed_in_behaviour_s=0.0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"latency_ms": -1}, "latency_ms"),
    ({"latency_ms": 1.5}, "latency_ms"),
    ({"latency_ms": True}, "latency_ms"),
    ({"status": 99}, "status"),
    ({"status": 600}, "status"),
    ({"status": "500"}, "status"),
    ({"retry_after_s": -0.1}, "retry_after_s"),
    ({"retry_after_s": float("nan")}, "retry_after_s"),
    ({"hang": 1}, "hang"),
    ({"fail_first": -2}, "fail_first"),
    ({"fail_status": 42}, "fail_status"),
    ({"reset_connection": "yes"}, "reset_connection"),
    ({"hang": True, "reset_connection": True}, "reset_connection"),
])
def test_bad_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidBehaviour) as info:
        Behaviour(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert f"behaviour.{field}:" in str(info.value)


def test_wire_round_trip_and_defaults_for_missing_fields() -> None:
    b = Behaviour(latency_ms=20, status=429, retry_after_s=0.5, fail_first=2, fail_status=500)
    assert Behaviour.from_wire(b.to_wire()) == b
    assert Behaviour.from_wire({"status": 502}) == Behaviour(status=502)


def test_unknown_field_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidBehaviour, match=r"behaviour\.latency: unknown field"):
        Behaviour.from_wire({"latency": 10})


def test_reset_and_hang_win_over_fail_first_which_wins_over_status() -> None:
    assert decide(Behaviour(reset_connection=True, fail_first=5), _call(1)).action is Action.RESET
    assert decide(Behaviour(hang=True, fail_first=5), _call(1)).action is Action.HANG
    b = Behaviour(status=201, fail_first=2, fail_status=503)
    assert [decide(b, _call(i)) for i in (1, 2, 3)] == [
        Decision(action=Action.ANSWER, status=503),
        Decision(action=Action.ANSWER, status=503),
        Decision(action=Action.ANSWER, status=201),
    ]
