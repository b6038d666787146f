"""Process logs in the journal and the report, kept for failed experiments; secrets masked everywhere."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chaos.report.capture import LOG_TAIL_LINES, process_logs
from chaos.report.html import render_html
from chaos.report.journal import Outcome, TargetInfo, journal_to_data
from chaos.report.masking import MASK, SecretMask
from chaos.report.schema import schema_problems
from chaos.report.store import keep_logs, mask_journal, read_journal, write_journal

from .conftest import JournalFactory


def test_a_passing_experiment_keeps_the_tail_and_a_failing_one_the_whole_log() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 501))
    (tail,) = process_logs({"service": text}, full=False)
    assert (tail.lines, tail.truncated) == (500, True)
    assert tail.text.splitlines() == [f"line {i}" for i in range(501 - LOG_TAIL_LINES, 501)]
    (whole,) = process_logs({"service": text}, full=True)
    assert (whole.text, whole.truncated) == (text, False)


def test_the_whole_log_of_a_failure_is_kept_beside_the_journal(tmp_path: Path) -> None:
    logs = process_logs({"service": "a\nb", "worker": "c"}, full=True)
    kept = keep_logs(tmp_path, "experiments/test_x.py::test_y", logs, {"service": "a\nb", "worker": "c"})
    assert [Path(k.kept_at).read_text() for k in kept] == ["a\nb", "c"]
    assert all(Path(k.kept_at).parent.parent == tmp_path / "logs" for k in kept)


def test_secrets_are_masked_in_every_field_and_the_longest_first() -> None:
    mask = SecretMask(["s3cret-token", "s3cret", "ab"])
    assert mask.text("Bearer s3cret-token and s3cret") == f"Bearer {MASK} and {MASK}"
    assert mask.data({"k": ["s3cret", {"s3cret": 1}], "n": 3}) == {"k": [MASK, {MASK: 1}], "n": 3}
    assert not SecretMask([])
    assert SecretMask([]).text("x") == "x"


def test_a_masked_journal_hides_the_token_in_logs_notes_and_the_report(make_journal: JournalFactory,
                                                                        tmp_path: Path) -> None:
    journal = make_journal(outcome=Outcome.FAILED)
    journal = dataclasses.replace(
        journal, notes=("started with API_TOKEN=tok-1234567",),
        logs=process_logs({"service": "auth header: Bearer tok-1234567\nbye"}, full=True),
        target=TargetInfo(path="/x/chaos.toml", name="x", sha256="ab" * 32, sut_env={"SUT_TOKEN": "tok-1234567"}))
    masked = mask_journal(journal, SecretMask(["tok-1234567"]))
    data = journal_to_data(masked)
    assert schema_problems(data) == []
    assert "tok-1234567" not in str(data)
    assert masked.logs[0].text == f"auth header: Bearer {MASK}\nbye"
    page = render_html([read_journal(write_journal(tmp_path, masked))])
    assert "tok-1234567" not in page
    assert 'class="process-log"' in page
    assert "log of service: 2 lines" in page
    assert 'open="True" class="process-log"' in page     # a failed experiment's log is shown unfolded
