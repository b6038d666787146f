"""How the attach backend reads what the deployment's commands and Toxiproxy answer."""

from __future__ import annotations

import pytest

from chaos.env.attach._component import parse_exit_code, parse_identity
from chaos.env.attach.dependencies import endpoint_of
from chaos.env.base import Endpoint


@pytest.mark.parametrize(("output", "identity"), [
    ("4242\n", 4242), ("Warning: kubectl is old\n  17 \n", 17), ("", None), ("not running\n", None),
])
def test_a_pid_command_prints_an_integer_identity_on_its_last_line(output: str, identity: int | None) -> None:
    assert parse_identity(output) == identity


@pytest.mark.parametrize(("output", "code"), [
    ("0", 0), ("3\n", 3), ("143", -15), ("137", -9), ("-9", -9), ("128", 128), ("255", 255), ("", None),
])
def test_an_exit_code_reads_128_plus_n_as_killed_by_signal_n(output: str, code: int | None) -> None:
    assert parse_exit_code(output) == code


def test_a_listener_on_every_interface_is_reached_at_the_toxiproxys_host() -> None:
    assert endpoint_of("[::]:5433", wildcard_host="10.0.0.7") == Endpoint(host="10.0.0.7", port=5433)
    assert endpoint_of("0.0.0.0:6380", wildcard_host="127.0.0.1") == Endpoint(host="127.0.0.1", port=6380)
    assert endpoint_of("postgres.staging.svc:5432", wildcard_host="x") == Endpoint(host="postgres.staging.svc",
                                                                                    port=5432)
