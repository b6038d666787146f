"""SigtermAsInterrupt: SIGTERM raises KeyboardInterrupt while installed, and the previous handler comes back.

The signal goes to this process only (signal.raise_signal), with the handler in place; the test puts
whatever handler it found (the chaos plugin's, under pytest) back at the end.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from chaos.env.signals import SigtermAsInterrupt

pytestmark = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                reason="only the main thread receives Python-level signals")


def _someone_elses(signum: int, frame: FrameType | None) -> None:
    """A handler the user or another plugin installed."""


@pytest.fixture
def default_sigterm() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_over_the_default_action_sigterm_interrupts_until_uninstalled(default_sigterm: None) -> None:
    with SigtermAsInterrupt(), pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_guest_leaves_someone_elses_handler_in_charge(default_sigterm: None) -> None:
    signal.signal(signal.SIGTERM, _someone_elses)
    guest = SigtermAsInterrupt()
    guest.install()
    assert signal.getsignal(signal.SIGTERM) is _someone_elses
    guest.uninstall()
    assert signal.getsignal(signal.SIGTERM) is _someone_elses


def test_replace_takes_over_and_puts_the_previous_handler_back(default_sigterm: None) -> None:
    signal.signal(signal.SIGTERM, _someone_elses)
    with SigtermAsInterrupt(replace=True), pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is _someone_elses


def test_uninstall_leaves_a_handler_installed_after_ours(default_sigterm: None) -> None:
    ours = SigtermAsInterrupt()
    ours.install()
    signal.signal(signal.SIGTERM, _someone_elses)
    ours.uninstall()
    assert signal.getsignal(signal.SIGTERM) is _someone_elses
