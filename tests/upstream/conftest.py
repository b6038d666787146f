"""A real fake-external-API process per test module, reaped whatever happens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.upstream_process import UpstreamProcess, start_upstream, stop_upstream

from chaos.upstream.control import UpstreamControl


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamProcess]:
    """One fake external API process for the module; each test resets it through `control`."""
    process = start_upstream(tmp_path_factory.mktemp("upstream"))
    try:
        yield process
    finally:
        stop_upstream(process.proc)


@pytest.fixture
def control(upstream: UpstreamProcess) -> Iterator[UpstreamControl]:
    """A control client on a freshly reset fake external API without stubs (reset keeps them)."""
    with UpstreamControl(upstream.url) as ctl:
        ctl.reset()
        ctl.clear_stubs()
        yield ctl
        ctl.reset()
        ctl.clear_stubs()
