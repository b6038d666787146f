"""LocalRedis: lifecycle operations take effect; no persistence; client counting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from support.envs import listening

from chaos.env.ports import free_port
from chaos.env.process import group_members
from chaos.env.redis import LocalRedis
from chaos.env.registry import UNTRACKED
from chaos.env.tools import find_redis_server


@pytest.fixture(scope="module")
def local_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    server = LocalRedis(name="cache", dir=tmp_path_factory.mktemp("redis"), port=free_port(),
                        tracker=UNTRACKED, redis_server=find_redis_server())
    server.attach_proxy("none", server.direct)
    server.start()
    yield server
    server.close()
    assert not listening(server.direct.port)


def client(server: LocalRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url(proxied=False), socket_timeout=2, socket_connect_timeout=1)


def test_url_and_ping(local_redis: LocalRedis) -> None:
    assert local_redis.url(proxied=False) == f"redis://127.0.0.1:{local_redis.direct.port}/0"
    with client(local_redis) as c:
        assert c.ping()


def test_restart_forgets_everything(local_redis: LocalRedis) -> None:
    with client(local_redis) as c:
        c.set("k", "v")
    before = local_redis.pid()
    local_redis.restart()
    assert local_redis.pid() != before
    with client(local_redis) as c:
        assert c.get("k") is None
    assert not list(Path(local_redis.dir).glob("*.rdb"))


def test_kill_then_start(local_redis: LocalRedis) -> None:
    local_redis.kill()
    assert not local_redis.is_running()
    with pytest.raises(redis.ConnectionError), client(local_redis) as c:
        c.ping()
    local_redis.start()
    assert local_redis.is_running()


def test_stop_is_graceful_then_start(local_redis: LocalRedis) -> None:
    local_redis.stop()
    assert not listening(local_redis.direct.port)
    local_redis.start()
    with client(local_redis) as c:
        assert c.ping()


def test_pause_blocks_commands_until_resume(local_redis: LocalRedis) -> None:
    done = threading.Event()
    c = redis.Redis.from_url(local_redis.url(proxied=False), socket_timeout=15)
    c.ping()

    def ping() -> None:
        c.ping()
        done.set()

    local_redis.pause()
    try:
        worker = threading.Thread(target=ping)
        worker.start()
        assert not done.wait(0.5)   # a frozen server cannot answer; 0.5 s of silence is enough
        assert local_redis.paused
    finally:
        local_redis.resume()
    assert done.wait(10)
    worker.join(5)
    c.close()


def test_client_count_excludes_ours(local_redis: LocalRedis) -> None:
    base = local_redis.client_count()
    with client(local_redis) as a, client(local_redis) as b:
        a.ping()
        b.ping()
        assert local_redis.client_count() == base + 2


def test_close_reaps_group(tmp_path: Path) -> None:
    server = LocalRedis(name="r", dir=tmp_path, port=free_port(), tracker=UNTRACKED,
                        redis_server=find_redis_server())
    server.start()
    pid = server.pid()
    assert pid is not None
    server.pause()
    server.close()
    assert group_members(pid) == []
