"""Session-wide ownership: environments are closed at unconfigure even when the session is interrupted."""

from __future__ import annotations

import contextlib

import pytest

__all__ = ["CLOSERS_KEY"]

# Everything started for the session registers its close here; pytest_unconfigure runs it even after
# KeyboardInterrupt (and SIGTERM, which the plugin turns into one), where fixture teardown may not.
CLOSERS_KEY = pytest.StashKey[contextlib.ExitStack]()
