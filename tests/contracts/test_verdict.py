"""Verdict, combine (FAILED > INCONCLUSIVE > PASSED) and check_safe (a crash is never a pass)."""

from __future__ import annotations

import json

import pytest

from chaos.contracts import Status, Verdict, check_safe, combine, verdict_to_data


def v(status: Status, name: str = "x", **figures: float) -> Verdict:
    return Verdict(contract=name, status=status, summary=f"{name} {status}", evidence=(f"{name} line",),
                   figures=figures)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([Status.PASSED, Status.PASSED], Status.PASSED),
    ([Status.PASSED, Status.INCONCLUSIVE], Status.INCONCLUSIVE),
    ([Status.INCONCLUSIVE, Status.FAILED, Status.PASSED], Status.FAILED),
    ([Status.FAILED, Status.INCONCLUSIVE], Status.FAILED),
])
def test_combine_ranks_failed_over_inconclusive_over_passed(statuses: list[Status], expected: Status) -> None:
    combined = combine([v(s, f"c{i}") for i, s in enumerate(statuses)], contract="all")
    assert combined.status is expected
    assert combined.contract == "all"
    assert len(combined.parts) == len(statuses)


def test_combine_keeps_the_deciding_evidence_and_prefixes_figures() -> None:
    combined = combine([v(Status.PASSED, "a", n=1), v(Status.FAILED, "b", p99_s=2.5)], contract="db_restart")
    assert combined.summary == "b: b failed"
    assert combined.evidence == ("b line",)
    assert dict(combined.figures) == {"a.n": 1.0, "b.p99_s": 2.5}


def test_combine_of_nothing_is_inconclusive_and_default_name_joins_parts() -> None:
    assert combine([]).status is Status.INCONCLUSIVE
    assert combine([v(Status.PASSED, "a"), v(Status.PASSED, "b")]).contract == "a + b"


def boom(x: int) -> Verdict:
    raise ZeroDivisionError(f"bad {x}")


def test_check_safe_turns_a_crash_into_inconclusive_with_the_traceback() -> None:
    verdict = check_safe(boom, 3)
    assert verdict.status is Status.INCONCLUSIVE
    assert verdict.contract == "boom"
    assert "ZeroDivisionError: bad 3" in verdict.summary
    assert verdict.error is not None
    assert "Traceback" in verdict.error
    assert "boom" in verdict.error
    assert "checker crashed" in verdict.explain()
    # a crash combined with passes still does not pass
    assert combine([v(Status.PASSED), verdict]).status is Status.INCONCLUSIVE


def test_check_safe_rejects_a_non_verdict_and_passes_a_verdict_through() -> None:
    assert check_safe(lambda: True).status is Status.INCONCLUSIVE  # type: ignore[arg-type,return-value]
    ok = v(Status.PASSED)
    assert check_safe(lambda: ok) is ok


def test_verdict_serialises_to_json_with_parts() -> None:
    combined = combine([v(Status.FAILED, "a", n=3)], contract="c")
    data = verdict_to_data(combined)
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "failed"
    assert data["parts"][0]["figures"] == {"n": 3.0}  # type: ignore[index]


def test_explain_lists_evidence_under_the_summary() -> None:
    text = v(Status.FAILED, "bounded").explain()
    assert text.splitlines() == ["bounded: FAILED: bounded failed", "  bounded line"]


def test_figures_must_be_finite_so_the_journal_stays_json() -> None:
    with pytest.raises(ValueError, match=r"figures must be finite \(JSON\), got \['p99_s'\]"):
        Verdict(contract="bounded", status=Status.FAILED, summary="s", figures={"p99_s": float("inf")})
