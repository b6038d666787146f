"""`injected()`: the revert runs on every exit, is verified, and never hides the original error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chaos.errors import RevertFailed
from chaos.faults import Receipt, UndoLog, injected
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
