"""The SUT's pure resilience parts: circuit breaker, backoff, Retry-After, config, defect and
convention parsing.

The service as a whole is exercised by the experiments against real Postgres, Redis and the fake
external API; these pin the state machines and the arithmetic the contracts rely on.
"""

from __future__ import annotations

import pytest
from sut.breaker import BreakerState, CircuitBreaker
from sut.config import ConfigError, Settings
from sut.conventions import ConflictingConventions, Convention, UnknownConvention, parse_conventions
from sut.defects import Defect, UnknownDefect, parse_defects
from sut.retry import Backoff, parse_retry_after

REQUIRED = {"PORT": "8000", "DATABASE_URL": "postgresql://a@127.0.0.1/a",
            "REDIS_URL": "redis://127.0.0.1:6379/0", "EXTERNAL_API_URL": "http://127.0.0.1:9"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """Read the state through a call, so the type checker does not keep an earlier narrowing."""
    return breaker.state

def test_breaker_opens_at_threshold_probes_once_and_closes_on_success() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=2.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert state_of(breaker) is BreakerState.CLOSED
    assert breaker.allow()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    clock.now += 1.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()            # the one probe
    assert state_of(breaker) is BreakerState.HALF_OPEN
    assert not breaker.allow()        # everyone else waits for it
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED
    assert breaker.allow()


def test_failed_probe_reopens_for_a_full_reset_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=2.0, clock=clock)
    breaker.record_failure()
    clock.now += 2.0
    assert breaker.allow()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    clock.now += 1.0
    assert not breaker.allow()


def test_success_resets_the_consecutive_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=1.0, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.CLOSED


def test_disabled_breaker_always_allows() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=60.0, enabled=False, clock=FakeClock())
    for _ in range(5):
        breaker.record_failure()
        assert breaker.allow()


def test_backoff_grows_and_never_undercuts_retry_after() -> None:
    backoff = Backoff(max_attempts=4, base_delay_s=0.2, max_delay_s=2.0)
    assert [backoff.delay(n, 0.2) for n in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.8])
    assert [backoff.delay(n, 0.5) for n in (1, 2, 3)] == pytest.approx([0.5, 1.0, 2.0])
    assert [backoff.delay(n, None) for n in (1, 2)] == pytest.approx([0.2, 0.4])
    assert backoff.delay(5, None) == pytest.approx(2.0)     # capped
    assert backoff.delay(1, 3.0) == pytest.approx(3.0)      # a longer Retry-After wins over the cap


def test_backoff_defect_retries_at_once() -> None:
    assert Backoff(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0, enabled=False).delay(2, 5.0) == 0.0


@pytest.mark.parametrize(("header", "seconds"), [
    ("2", 2.0), ("0.5", 0.5), (" 1 ", 1.0), ("-3", 0.0), ("soon", None), ("", None), (None, None),
    ("Thu, 01 Jan 1970 00:00:10 GMT", 7.0),
])
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=3.0) == seconds


def test_settings_defaults_and_defects() -> None:
    settings = Settings.from_env({**REQUIRED, "SUT_DEFECTS": " no_pool_timeout,, ready_ignores_db "})
    assert settings.pool_max_size == 5
    assert settings.pool_timeout_s == 1.0
    assert settings.login_locked_status == 423
    assert settings.defects == {Defect.NO_POOL_TIMEOUT, Defect.READY_IGNORES_DB}


def test_settings_report_every_bad_variable_by_name() -> None:
    env = {**REQUIRED, "PORT": "http", "DB_POOL_TIMEOUT_S": "-1", "LOGIN_LOCKED_STATUS": "500",
           "SUT_DEFECTS": "no_such_defect"}
    del env["REDIS_URL"]
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    text = str(info.value)
    for name in ("PORT:", "DB_POOL_TIMEOUT_S:", "LOGIN_LOCKED_STATUS:", "REDIS_URL: required",
                 "SUT_DEFECTS: unknown defect 'no_such_defect'"):
        assert name in text


def test_unknown_defect_lists_the_known_ones() -> None:
    with pytest.raises(UnknownDefect, match="known: exit_on_pool_error, in_memory_rate_limit"):
        parse_defects("exit_on_pool_error,typo")
    assert len(Defect) == 13


def test_conventions_are_read_once_beside_the_defects() -> None:
    settings = Settings.from_env({**REQUIRED, "SUT_CONVENTIONS": " errors_500,, api_token ", "API_TOKEN": "s3cret",
                                  "SUT_DEFECTS": "no_pool_timeout"})
    assert settings.conventions == {Convention.ERRORS_500, Convention.API_TOKEN}
    assert settings.has(Convention.ERRORS_500)
    assert not settings.has(Convention.CONFLICT_422)
    assert settings.has(Defect.NO_POOL_TIMEOUT)
    assert settings.api_token == "s3cret"
    assert "s3cret" not in repr(settings)
    assert Settings.from_env(REQUIRED).conventions == frozenset()


def test_api_token_is_only_read_for_its_convention() -> None:
    assert Settings.from_env({**REQUIRED, "API_TOKEN": "s3cret"}).api_token is None


def test_unknown_convention_suggests_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownConvention, match=r"did you mean 'no_readiness'.*known: api_token, cache_header"):
        parse_conventions("no_readyness")
    assert len(Convention) == 10


@pytest.mark.parametrize("raw", ["cache_header,no_cache_marker", "degraded_nested,degraded_header"])
def test_alternative_conventions_refuse_each_other(raw: str) -> None:
    with pytest.raises(ConflictingConventions, match="are alternatives: choose one"):
        parse_conventions(raw)


def test_the_secret_is_never_echoed_in_a_problem() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({**REQUIRED, "SUT_CONVENTIONS": "api_token", "API_TOKEN": "  "})
    assert "API_TOKEN: required" in str(info.value)
