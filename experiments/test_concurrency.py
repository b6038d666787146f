"""Concurrency contracts: one winner when many clients book the same slot at once."""

from __future__ import annotations

import pytest

from chaos.contracts import exactly_one_winner
from chaos.experiment import Experiment
from chaos.faults import ToxicFault
from chaos.observe import fire
from chaos.targetfile import ContractSpec

ROUNDS = 4
"""Independent slots raced one after another: a missing lock double-books in most rounds, not all
(the reference defect did in 3 rounds of 4 when measured), so one round alone could miss it."""


@pytest.mark.chaos_contract("booking_race")
def test_one_booking_wins_under_concurrency(experiment: Experiment, contract: ContractSpec) -> None:
    """Concurrent bookings of one slot, with DB latency widening every race window: exactly one won
    answer, every other a lost one, no error, no hang, in every round."""
    db = experiment.postgres()
    latency_ms = contract.count("db_latency_ms")
    experiment.steady_state()
    with experiment.fault(ToxicFault(client=experiment.env.proxy, dependency=db, toxic_type="latency",
                                     attributes={"latency": latency_ms})):
        for round_ in range(ROUNDS):
            booking = experiment.request(label=f"booking round {round_ + 1}", variant=f"-{round_}")
            fire(experiment.base_url, [booking] * contract.count("concurrency"), experiment.timeline,
                 timeout_s=10.0)
    won, lost = experiment.answer("won"), experiment.answer("lost")
    experiment.check(*(exactly_one_winner(experiment.timeline, label=f"booking round {r + 1}", won=won, lost=lost)
                       for r in range(ROUNDS)))
