"""The undo log replays LIFO, runs every step despite failures, and is empty after one run."""

from __future__ import annotations

from chaos.faults import UndoLog


def test_steps_replay_in_reverse_order_once() -> None:
    done: list[str] = []
    undo = UndoLog()
    for name in ("first", "second", "third"):
        undo.push(f"undo {name}", lambda name=name: done.append(name))  # type: ignore[misc]
    assert undo.run() == (["undo third", "undo second", "undo first"], [])
    assert done == ["third", "second", "first"]
    assert undo.run() == ([], [])
    assert done == ["third", "second", "first"]


def test_a_failing_step_does_not_stop_the_others() -> None:
    done: list[str] = []

    def boom() -> None:
        raise OSError("proxy API unreachable")

    undo = UndoLog()
    undo.push("start redis", lambda: done.append("redis"))
    undo.push("enable proxy", boom)
    ran, errors = undo.run()
    assert done == ["redis"]
    assert ran == ["start redis"]
    assert errors == ["enable proxy: OSError: proxy API unreachable"]
