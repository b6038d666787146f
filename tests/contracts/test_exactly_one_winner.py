"""exactly_one_winner: one 201, the rest 409, nothing else, nothing hung."""

from __future__ import annotations

from support.answers import answer
from support.histories import History

from chaos.contracts import Status, exactly_one_winner

WON, LOST = answer(201), answer(409)


def burst(*outcomes: int | str) -> History:
    h = History()
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, int):
            h.req(1.0, 0.1 + i * 0.01, outcome, label="book")
        else:
            h.req(1.0, 5.0, error=outcome, label="book")
    return h


def test_one_winner_passes() -> None:
    verdict = exactly_one_winner(burst(409, 201, 409, 409).tl, label="book", won=WON, lost=LOST)
    assert verdict.status is Status.PASSED, verdict.explain()
    assert verdict.figures["losers"] == 3
    assert verdict.evidence == ("winner: +1.000 s GET /book [book] -> 201 in 0.110 s",)
    assert verdict.figures["winner_start_s"] == 1.0       # the report marks the winner by its start


def test_two_winners_fail_and_are_listed() -> None:
    verdict = exactly_one_winner(burst(201, 201, 409).tl, label="book", won=WON, lost=LOST)
    assert verdict.status is Status.FAILED
    assert "2 answered status 201 (expected exactly 1)" in verdict.summary
    assert sum(line.startswith("winner:") for line in verdict.evidence) == 2


def test_a_500_or_a_hang_fails_even_with_one_winner() -> None:
    verdict = exactly_one_winner(burst(201, 409, 500, "ReadTimeout").tl, label="book", won=WON, lost=LOST)
    assert verdict.status is Status.FAILED
    assert "2 answered neither status 201 nor status 409, 1 of them hung" in verdict.summary
    assert verdict.figures["hung"] == 1
    # the round's single winner is still named, first, beside what went wrong
    assert verdict.evidence[0] == "winner: +1.000 s GET /book [book] -> 201 in 0.100 s"
    assert verdict.figures["winner_start_s"] == 1.0


def test_no_single_winner_has_no_winner_start() -> None:
    assert "winner_start_s" not in exactly_one_winner(burst(201, 201, 409).tl, label="book", won=WON, lost=LOST).figures
    assert "winner_start_s" not in exactly_one_winner(burst(409, 409).tl, label="book", won=WON, lost=LOST).figures


def test_fewer_than_two_requests_is_inconclusive() -> None:
    assert exactly_one_winner(burst(201).tl, label="book", won=WON, lost=LOST).status is Status.INCONCLUSIVE
    assert exactly_one_winner(burst().tl, label="book", won=WON, lost=LOST).status is Status.INCONCLUSIVE


def test_the_conventions_decide_who_won_and_an_answer_like_both_is_a_win() -> None:
    h = burst(200, 409, 409)
    assert exactly_one_winner(h.tl, label="book", won=WON, lost=LOST).status is Status.FAILED
    verdict = exactly_one_winner(h.tl, label="book", won=answer([200, 201]), lost=LOST)
    assert verdict.status is Status.PASSED, verdict.explain()
    both = exactly_one_winner(burst(201, 409, 409).tl, label="book", won=answer([201, 409]), lost=LOST)
    assert both.status is Status.FAILED   # a 409 looks like both: a win, so three winners, no loser
    assert both.figures["winners"] == 3
    assert both.figures["losers"] == 0
