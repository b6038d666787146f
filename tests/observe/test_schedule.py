"""The load's schedule on its own: when slots fall due and what becomes of each (pure, no clock)."""

from __future__ import annotations

import pytest
from support.loads import load_spec

from chaos.observe import LoadModel
from chaos.observe.schedule import Fate, Schedule, Slot

spec = load_spec


def run(schedule: Schedule, in_flight: list[int]) -> list[Slot]:
    """Take every slot on time, reporting `in_flight[i]` requests in flight for slot i."""
    taken: list[Slot] = []
    while (due := schedule.next_due_s()) is not None:
        slot = schedule.take(elapsed_s=due, in_flight=in_flight[len(taken)])
        assert slot is not None
        taken.append(slot)
    return taken


def test_the_open_model_sends_up_to_the_cap_and_records_the_rest_as_not_sent() -> None:
    # a service that answers nothing: in flight grows by one per slot sent, up to the cap of 2
    slots = run(Schedule(spec(concurrency=2)), [0, 1, 2, 2, 2, 2, 2, 2, 2, 2])
    assert [s.fate for s in slots] == [Fate.SEND, Fate.SEND] + [Fate.NOT_SENT] * 8
    assert [s.due_s for s in slots] == pytest.approx([i / 10 for i in range(10)])
    assert {s.in_flight for s in slots[2:]} == {2}       # what "not sent: 2 in flight" will say


def test_the_closed_model_skips_instead() -> None:
    slots = run(Schedule(spec(model=LoadModel.CLOSED, concurrency=2)), [0, 1, 2, 1, 2, 0, 0, 0, 0, 0])
    assert [s.fate for s in slots] == [Fate.SEND, Fate.SEND, Fate.SKIP, Fate.SEND, Fate.SKIP] + [Fate.SEND] * 5


def test_a_late_loop_catches_up_with_each_slot_at_its_intended_time() -> None:
    schedule = Schedule(spec(concurrency=None))       # the derived cap: ceil(10 x 1.0) + 1, then 10 slots
    schedule.take(elapsed_s=0.0, in_flight=0)
    # the loop wakes 0.55 s late: slots 1..5 are all due; each is taken now, with its own due time
    late = [schedule.take(elapsed_s=0.55, in_flight=i) for i in range(1, 6)]
    assert [s.index if s else None for s in late] == [1, 2, 3, 4, 5]
    assert [s.due_s if s else None for s in late] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert all(s is not None and s.fate is Fate.SEND for s in late)
    assert schedule.next_due_s() == pytest.approx(0.6)
    with pytest.raises(ValueError, match=r"slot 6 is due at 0\.600 s, not yet at 0\.550 s"):
        schedule.take(elapsed_s=0.55, in_flight=0)


def test_nothing_is_taken_once_the_run_time_is_up_or_the_count_is_reached() -> None:
    by_time = Schedule(spec(rate_per_s=10, duration_s=1.0))
    by_time.take(elapsed_s=0.0, in_flight=0)
    assert by_time.take(elapsed_s=1.0, in_flight=0) is None     # a loop that lagged past the end
    assert by_time.next_due_s() is None                          # ... ends the schedule
    with pytest.raises(ValueError, match="the schedule is over"):
        by_time.take(elapsed_s=1.0, in_flight=0)
    by_count = Schedule(spec(rate_per_s=10, duration_s=60, max_requests=3))
    assert len(run(by_count, [0, 0, 0])) == 3
    assert by_count.next_due_s() is None
