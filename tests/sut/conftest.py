"""Make the reference service importable as `sut`, as it is when run from fixtures/."""

from __future__ import annotations


