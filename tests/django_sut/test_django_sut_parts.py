"""The Django service's framework-free parts (configuration, defect switches, circuit breaker), and its
refusal to start on a bad setting. The service itself runs in its own virtualenv (setup.sh)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "django-sut"
REQUIRED = {"DATABASE_URL": "postgresql://app:p%40ss@127.0.0.1:5433/shop", "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EXTERNAL_API_URL": "http://127.0.0.1:9/", "API_KEY": "k", "DJANGO_SECRET_KEY": "s"}


def load(name: str, path: Path) -> ModuleType:
    """Import a module of the service by path (its folder name is no Python package name)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module    # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


config = load("django_sut_config", ROOT / "shop" / "config.py")
breaker = load("django_sut_breaker", ROOT / "catalog" / "breaker.py")


def test_config_reads_every_setting_with_defaults() -> None:
    cfg = config.load(REQUIRED)
    assert (cfg.port, cfg.web_concurrency, cfg.threads, cfg.graceful_timeout_s) == (8000, 1, 16, 8)
    db = cfg.database
    assert (db.name, db.user, db.password, db.host, db.port) == ("shop", "app", "p@ss", "127.0.0.1", 5433)
    assert cfg.external_api_url == "http://127.0.0.1:9"
    assert (cfg.db_pool_max_size, cfg.db_pool_timeout_s, cfg.redis_timeout_s) == (5, 1.0, 0.2)
    assert cfg.defects == frozenset()


@pytest.mark.parametrize(("override", "message"), [
    ({"DB_POOL_TIMEOUT_S": "soon"}, "DB_POOL_TIMEOUT_S: expected seconds > 0, got 'soon'"),
    ({"DB_POOL_TIMEOUT_S": "nan"}, "DB_POOL_TIMEOUT_S: expected seconds > 0, got 'nan'"),
    ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS: expected an integer >= 1, got '0'"),
    ({"API_KEY": ""}, "API_KEY: missing (required)"),
    ({"DATABASE_URL": "mysql://x@h/db"}, "DATABASE_URL: expected a postgres/postgresql URL"),
    ({"DATABASE_URL": "postgresql://u:hunter2@h/"}, "DATABASE_URL: no database name in 'postgresql://u:***@h/'"),
    ({"DB_POOL_MIN_SIZE": "9", "DB_POOL_MAX_SIZE": "8"}, "DB_POOL_MIN_SIZE: 9 is above DB_POOL_MAX_SIZE (8)"),
    ({"APP_DEFECTS": "no_booking_lock,bogus"}, "APP_DEFECTS: unknown defect 'bogus' (known: global_db_connection,"),
])
def test_a_bad_setting_names_the_variable(override: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError) as info:
        config.load({**REQUIRED, **override})
    assert str(info.value).startswith(message)
    assert "hunter2" not in str(info.value)


def test_defects_are_switched_on_by_name() -> None:
    cfg = config.load({**REQUIRED, "APP_DEFECTS": " no_booking_lock , in_memory_rate_limit "})
    assert cfg.has(config.Defect.NO_BOOKING_LOCK)
    assert cfg.has(config.Defect.IN_MEMORY_RATE_LIMIT)
    assert not cfg.has(config.Defect.NO_POOL_TIMEOUT)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_probes_once_and_closes() -> None:
    clock = FakeClock()
    cb = breaker.CircuitBreaker(failure_threshold=3, reset_timeout_s=2.0, clock=clock)
    for _ in range(3):
        assert cb.allow()
        cb.failure()
    assert not cb.allow()                 # open: fail fast
    clock.now = 1.9
    assert not cb.allow()
    clock.now = 2.0
    assert cb.allow()                     # the one half-open probe
    assert not cb.allow()                 # others still fail fast while it is out
    cb.failure()                          # the probe failed: open for another reset timeout
    clock.now = 3.9
    assert not cb.allow()
    clock.now = 4.0
    assert cb.allow()
    cb.success()
    assert cb.allow()
    assert cb.allow()                     # closed again


def test_breaker_counts_failures_in_a_row_only() -> None:
    cb = breaker.CircuitBreaker(failure_threshold=2, reset_timeout_s=1.0, clock=FakeClock())
    cb.failure()
    cb.success()
    cb.failure()
    assert cb.allow()


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "gunicorn").exists(),
                    reason="the service's virtualenv is missing: run fixtures/django-sut/setup.sh")
@pytest.mark.parametrize("command", [[".venv/bin/gunicorn", "-c", "gunicorn.conf.py"],
                                     [".venv/bin/python", "manage.py", "migrate"]])
def test_an_unknown_defect_refuses_to_start_with_exit_code_2(command: list[str]) -> None:
    env = {**os.environ, **REQUIRED, "APP_DEFECTS": "no_such_defect", "PORT": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "django-sut: APP_DEFECTS: unknown defect 'no_such_defect' (known: global_db_connection, in_memory_rate_limit, "
        "leak_on_validation_error, no_booking_lock, no_cache_fallback, no_circuit_breaker, no_external_timeout, "
        "no_graceful_shutdown, no_pool_timeout, no_redis_timeout, retry_without_backoff)"]
