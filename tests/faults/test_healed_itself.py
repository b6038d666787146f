"""A fault that healed itself (a restart that came back) is shown as healed in a game day's view."""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.faults import injected
from chaos.faults.active import ActiveFaults
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.gameday import LiveStats
from chaos.observe import Timeline


@dataclass(kw_only=True)
class Outage:
    """A fault on a thing that may come back by itself: `down` is what its leftovers check reads."""

    name: str = "restart(db)"
    intent: str = "restart db"
    down: list[bool] = field(default_factory=lambda: [True])

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.effect("db went down", hits=1)
        undo.push("bring db back", lambda: self.down.__setitem__(0, False))

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return ["db is down"] if self.down[0] else []


def test_an_active_fault_that_no_longer_holds_is_healed_itself() -> None:
    active = ActiveFaults()
    outage = Outage()
    timeline = Timeline()
    with injected(outage, active=active, timeline=timeline):
        assert not active.healed_itself("restart(db)")
        view = LiveStats.of(timeline, now_ns=timeline.now_ns(), faults=active.names(),
                            healed=[n for n in active.names() if active.healed_itself(n)])
        assert view.render().endswith("faults: restart(db)")
        outage.down[0] = False                       # it came back without anyone healing it
        assert active.healed_itself("restart(db)")
        view = LiveStats.of(timeline, now_ns=timeline.now_ns(), faults=active.names(),
                            healed=[n for n in active.names() if active.healed_itself(n)])
        assert view.render().endswith("faults: restart(db) (healed itself)")
    assert active.names() == []
    assert not active.healed_itself("restart(db)")   # not active: nothing to say
