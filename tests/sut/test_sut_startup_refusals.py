"""`python -m sut` refuses a bad environment, naming what is wrong (a real process, no DB needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BASE_ENV = {"PORT": "1", "DATABASE_URL": "postgresql://app@127.0.0.1:1/app",
            "REDIS_URL": "redis://127.0.0.1:1/0", "EXTERNAL_API_URL": "http://127.0.0.1:1"}


def run_sut(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sut"], cwd=FIXTURES, env=env, capture_output=True,
                          text=True, timeout=30, start_new_session=True, check=False)


@pytest.mark.parametrize(("extra", "needle"), [
    ({"SUT_DEFECTS": "no_pool_timeout,no_such_defect"}, "SUT_DEFECTS: unknown defect 'no_such_defect' (known: "),
    ({"SUT_DEFECTS": "no_pool_timout"},
     "SUT_DEFECTS: unknown defect 'no_pool_timout'; did you mean 'no_pool_timeout'? (known: "),
    ({"DB_POOL_MAX_SIZE": "0"}, "DB_POOL_MAX_SIZE: expected an integer >= 1, got 0"),
    ({"LOGIN_LOCKED_STATUS": "418"}, "LOGIN_LOCKED_STATUS: expected one of 423, 429"),
    ({"SUT_CONVENTIONS": "cache_headers"},
     "SUT_CONVENTIONS: unknown convention 'cache_headers'; did you mean 'cache_header'? (known: "),
    ({"SUT_CONVENTIONS": "cache_header,cache_nested"},
     "SUT_CONVENTIONS: cache_header and cache_nested are alternatives: choose one"),
    ({"SUT_CONVENTIONS": "api_token"}, "API_TOKEN: required by SUT_CONVENTIONS=api_token"),
])
def test_bad_environment_exits_2_naming_the_variable(extra: dict[str, str], needle: str) -> None:
    result = run_sut({**BASE_ENV, **extra})
    assert result.returncode == 2
    assert needle in result.stderr
