"""State contracts: protections kept in shared storage survive a crash of the process."""

from __future__ import annotations

import signal

import pytest

from chaos.contracts import all_answer
from chaos.experiment import Experiment
from chaos.faults import SutSignalled
from chaos.observe import Window, fire
from chaos.targetfile import ContractSpec


@pytest.mark.chaos_contract("restart_persistence")
def test_login_lockout_survives_a_crash(experiment: Experiment, contract: ContractSpec) -> None:
    """Lock a user out with failed logins, SIGKILL the SUT and start it again: still locked out."""
    login = experiment.request(label="login")
    locked = experiment.answer("locked")
    for _ in range(contract.count("max_attempts")):
        fire(experiment.base_url, [login], experiment.timeline, timeout_s=5.0)
    before_ns = experiment.timeline.now_ns()
    fire(experiment.base_url, [experiment.request(label="locked before")], experiment.timeline, timeout_s=5.0)
    experiment.check(all_answer(experiment.timeline, window=Window(start_ns=before_ns), answer=locked,
                                label="locked before", contract="locked out before the crash"))
    with experiment.fault(SutSignalled(sut=experiment.env.sut, sig=signal.SIGKILL)):
        experiment.env.sut.wait_exit(timeout_s=5.0)
        experiment.record_exit()
    after_ns = experiment.timeline.now_ns()
    fire(experiment.base_url, [experiment.request(label="locked after")], experiment.timeline, timeout_s=5.0)
    experiment.check(all_answer(experiment.timeline, window=Window(start_ns=after_ns), answer=locked,
                                label="locked after", contract="locked out after the restart"))
