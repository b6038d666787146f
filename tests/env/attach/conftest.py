"""The loopback deployment the attach-mode tests drive: started once, repaired before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.deployment import Deployment, running_deployment


@pytest.fixture(scope="session")
def deployment_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with running_deployment(tmp_path_factory.mktemp("deployment")) as deployment:
        yield deployment


@pytest.fixture
def deployment(deployment_session: Deployment) -> Deployment:
    """The running deployment, every part up and every proxy clean (whatever an earlier test left)."""
    deployment_session.ensure_healthy()
    return deployment_session
