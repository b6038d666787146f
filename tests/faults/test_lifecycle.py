"""`injected()`: the revert runs on every exit, is verified, and never hides the original error."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chaos.errors import RevertFailed
from chaos.faults import ActiveFaults, Receipt, UndoLog, injected
from chaos.observe import FaultEnded, FaultStarted, Timeline


@dataclass(kw_only=True)
class FileFault:
    """A real, small fault: a file that must not exist outside the fault."""

    path: Path
    revert_works: bool = True
    leave_behind: bool = False
    observed: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "file"

    @property
    def intent(self) -> str:
        return f"create {self.path}"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        undo.push(f"remove {self.path}", self._remove)
        self.path.write_text("fault")
        receipt.effect(f"created {self.path}", hits=1)

    def _remove(self) -> None:
        if not self.revert_works:
            raise PermissionError(f"cannot remove {self.path}")
        if not self.leave_behind:
            self.path.unlink()

    def observe(self, receipt: Receipt) -> None:
        self.observed.append("observed while in place" if self.path.exists() else "gone too early")

    def leftovers(self) -> list[str]:
        return [f"{self.path} still exists"] if self.path.exists() else []


def test_reverts_and_records_the_window(tmp_path: Path) -> None:
    fault = FileFault(path=tmp_path / "f")
    timeline = Timeline()
    with injected(fault, timeline=timeline) as receipt:
        assert fault.path.exists()
    assert not fault.path.exists()
    assert fault.observed == ["observed while in place"]
    assert receipt.bit
    assert receipt.reverted_cleanly
    assert receipt.revert_steps == [f"remove {fault.path}"]
    assert [type(e) for e in timeline.events()] == [FaultStarted, FaultEnded]
    window = timeline.fault_window("file")
    assert window.start_ns == receipt.effective_ns
    assert window.end_ns == receipt.reverted_ns


@pytest.mark.parametrize("exc", [RuntimeError("experiment broke"), KeyboardInterrupt()])
def test_reverts_when_the_block_raises(tmp_path: Path, exc: BaseException) -> None:
    fault = FileFault(path=tmp_path / "f")
    with pytest.raises(type(exc)), injected(fault):
        raise exc
    assert not fault.path.exists()


def test_a_failed_revert_raises_revert_failed(tmp_path: Path) -> None:
    fault = FileFault(path=tmp_path / "f", revert_works=False)
    with pytest.raises(RevertFailed) as info, injected(fault):
        pass
    assert "cannot remove" in str(info.value)
    assert f"{fault.path} still exists" in info.value.leftovers


def test_leftovers_are_reported_even_when_every_step_ran(tmp_path: Path) -> None:
    fault = FileFault(path=tmp_path / "f", leave_behind=True)
    with pytest.raises(RevertFailed, match="still exists"), injected(fault):
        pass


def test_the_original_error_wins_over_a_failed_revert(tmp_path: Path) -> None:
    fault = FileFault(path=tmp_path / "f", revert_works=False)
    with pytest.raises(RuntimeError, match="experiment broke") as info, injected(fault):
        raise RuntimeError("experiment broke")
    assert any("was not fully reverted" in note for note in getattr(info.value, "__notes__", []))


def test_a_heal_all_is_the_revert_recorded_on_the_receipt(tmp_path: Path) -> None:
    """An abort heals from another thread while the block still runs: the fault is observed in place,
    reverted, and its receipt keeps the effects, the steps, the instant and why; the block's own
    revert later finds nothing to redo, but still verifies."""
    fault = FileFault(path=tmp_path / "f")
    timeline = Timeline()
    active = ActiveFaults()
    receipts: list[Receipt] = []
    with injected(fault, timeline=timeline, active=active, receipts=receipts) as receipt:
        assert receipts == [receipt]
        assert active.names() == ["file"]
        healer = threading.Thread(target=lambda: active.heal_all("healed at once: aborted by the operator"))
        healer.start()
        healer.join(timeout=10)
        assert not fault.path.exists()                      # healed before the block ended
        healed_ns = receipt.reverted_ns
        assert healed_ns is not None
        assert receipt.revert_steps == [f"remove {fault.path}"]
    assert fault.observed == ["observed while in place"]   # once, before the undo, not after it
    assert receipt.effects == [f"created {fault.path}"]
    assert receipt.revert_steps == [f"remove {fault.path}"]  # not lost, not doubled
    assert receipt.notes == ["healed at once: aborted by the operator"]
    assert receipt.reverted_ns == healed_ns                 # the heal's instant, not the block's end
    assert receipt.reverted_cleanly
    assert [type(e) for e in timeline.events()] == [FaultStarted, FaultEnded]
    assert active.names() == []
    assert active.heal_all() == ([], [])                     # nothing active, nothing to do


def test_steps_pushed_after_an_early_heal_still_run_at_the_end(tmp_path: Path) -> None:
    late = tmp_path / "late"
    active = ActiveFaults()

    @dataclass(kw_only=True)
    class TwoSteps(FileFault):
        def inject(self, undo: UndoLog, receipt: Receipt) -> None:
            super().inject(undo, receipt)
            active.heal_all("healed at once")           # an abort while the injection still runs
            undo.push(f"remove {late}", late.unlink)
            late.write_text("fault")

    with injected(TwoSteps(path=tmp_path / "f"), active=active) as receipt:
        pass
    assert not late.exists()
    assert receipt.revert_steps == [f"remove {tmp_path / 'f'}", f"remove {late}"]


def test_the_receipt_is_on_record_when_the_injection_raises(tmp_path: Path) -> None:
    @dataclass(kw_only=True)
    class Broken(FileFault):
        def inject(self, undo: UndoLog, receipt: Receipt) -> None:
            super().inject(undo, receipt)
            raise OSError("the second step failed")

    receipts: list[Receipt] = []
    with pytest.raises(OSError, match="second step"), injected(Broken(path=tmp_path / "f"), receipts=receipts):
        pass
    [receipt] = receipts
    assert receipt.effects == [f"created {tmp_path / 'f'}"]
    assert receipt.revert_steps == [f"remove {tmp_path / 'f'}"]
