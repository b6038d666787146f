"""The on-disk registry of running environments, so nothing they started outlives its owner.

Each environment writes `<root>/envs/<id>.json` (default root: this checkout's state dir, see
state.py) with its owner process, every process group it started, its work dir and its proxies, and rewrites it
whenever a group is added. `chaos down` stops detached environments from it, and every new
environment first reaps those whose owner is dead (a SIGKILLed pytest, a crashed `chaos up`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

from chaos.env._shm import release_segment_of, segment_exists
from chaos.env.process import GroupRecord, ManagedProcess, group_members, process_start_ticks, reap_group
from chaos.env.state import default_state_dir
from chaos.waiting import WaitTimeout, wait_until

__all__ = [
    "UNTRACKED",
    "EnvRecord",
    "EnvTracker",
    "Registry",
    "Tracker",
    "default_registry_root",
    "wait_record_gone",
]

log = logging.getLogger("chaos.env")


def default_registry_root(environ: Mapping[str, str] | None = None) -> Path:
    """This checkout's state dir (chaos.env.state), where its registry lives."""
    return default_state_dir(environ)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvRecord:
    """What the registry knows about one environment."""

    env_id: str
    owner_pid: int
    owner_start: int                      # the owner's start ticks: a reused PID is not the owner
    workdir: str
    detached: bool = False                # started by `chaos up --detach`: `chaos down` may stop it
    proxy_url: str = ""
    proxy_external: bool = False          # a real Toxiproxy we do not own: delete our proxies on it
    proxy_names: tuple[str, ...] = ()
    groups: tuple[GroupRecord, ...] = ()
    extra_paths: tuple[str, ...] = ()     # dirs outside the work dir (a Postgres data dir, see postgres.py)
    urls: dict[str, str] = field(default_factory=dict)   # what `chaos up` prints
    created: float = 0.0

    def owner_alive(self) -> bool:
        return process_start_ticks(self.owner_pid) == self.owner_start

    def to_json(self) -> str:
        data = asdict(self)
        data["groups"] = [asdict(g) for g in self.groups]
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> EnvRecord:
        data = json.loads(text)
        data["groups"] = tuple(GroupRecord(**g) for g in data.get("groups", ()))
        data["proxy_names"] = tuple(data.get("proxy_names", ()))
        data["extra_paths"] = tuple(data.get("extra_paths", ()))
        return cls(**data)


class Tracker(Protocol):
    """Told about every process group and outside directory as soon as it exists."""

    def process_started(self, proc: ManagedProcess) -> None: ...
    def path_created(self, path: Path) -> None: ...


class _Untracked:
    def process_started(self, proc: ManagedProcess) -> None:
        return None

    def path_created(self, path: Path) -> None:
        return None


UNTRACKED: Tracker = _Untracked()   # for servers started outside an environment (tests, tools)


class Registry:
    """The registry directory; one instance per environment writes that environment's record."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_registry_root()
        self.envs = self.root / "envs"
        self._lock = threading.Lock()

    def _path(self, env_id: str) -> Path:
        return self.envs / f"{env_id}.json"

    def save(self, record: EnvRecord) -> None:
        """Write the record atomically (temp file + rename), so a reader never sees half of it."""
        self.envs.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(record.env_id)
        tmp = path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(record.to_json())
        os.replace(tmp, path)

    def add_group(self, env_id: str, group: GroupRecord) -> None:
        with self._lock:
            record = self.load(env_id)
            if record is not None:
                kept = tuple(g for g in record.groups if g.pgid != group.pgid)
                self.save(replace(record, groups=(*kept, group)))

    def add_path(self, env_id: str, path: Path) -> None:
        with self._lock:
            record = self.load(env_id)
            if record is not None and str(path) not in record.extra_paths:
                self.save(replace(record, extra_paths=(*record.extra_paths, str(path))))

    def update(self, env_id: str, **changes: object) -> None:
        with self._lock:
            record = self.load(env_id)
            if record is not None:
                self.save(replace(record, **changes))  # type: ignore[arg-type]

    def remove(self, env_id: str) -> None:
        with self._lock:
            self._path(env_id).unlink(missing_ok=True)

    def load(self, env_id: str) -> EnvRecord | None:
        try:
            return EnvRecord.from_json(self._path(env_id).read_text())
        except (OSError, ValueError, TypeError):
            return None

    def records(self) -> Iterator[EnvRecord]:
        if not self.envs.is_dir():
            return
        for path in sorted(self.envs.glob("*.json")):
            with contextlib.suppress(OSError, ValueError, TypeError):
                yield EnvRecord.from_json(path.read_text())

    # --- reaping -------------------------------------------------------------------------------

    def reap_stale(self) -> list[str]:
        """Reap every environment whose owner process is dead; returns one line per thing reaped."""
        reaped: list[str] = []
        for record in self.records():
            if not record.owner_alive():
                reaped.extend(self.reap(record))
        return reaped

    def reap(self, record: EnvRecord) -> list[str]:
        """Kill the record's process groups, delete its proxies and work dir, drop the record.

        Claims the record first (atomic rename) so two reapers never work on the same one.
        """
        claimed = self._path(record.env_id).with_suffix(f".reaping-{os.getpid()}")
        try:
            os.rename(self._path(record.env_id), claimed)
        except OSError:
            return []   # someone else is reaping it, or it is gone
        done: list[str] = []
        for group in record.groups:
            if _is_our_group(group) and group_members(group.pgid):
                reap_group(group.pgid, grace_s=3.0, sig=signal.Signals(group.stop_signal))
                done.append(f"environment {record.env_id}: killed {group.label} (process group {group.pgid})")
        if record.proxy_external and record.proxy_names:
            done.extend(_delete_proxies(record))
        for path in (Path(record.workdir), *map(Path, record.extra_paths)):
            if path.exists():
                _release_postgres_shm(path)
                shutil.rmtree(path, ignore_errors=True)
                done.append(f"environment {record.env_id}: removed {path}")
        claimed.unlink(missing_ok=True)
        for line in done:
            log.warning("reaped stale %s", line)
        return done or [f"environment {record.env_id}: nothing left to reap"]


class EnvTracker:
    """The Tracker of one environment: writes what it learns into that environment's record."""

    def __init__(self, registry: Registry, env_id: str) -> None:
        self.registry = registry
        self.env_id = env_id

    def process_started(self, proc: ManagedProcess) -> None:
        self.registry.add_group(self.env_id, proc.group)

    def path_created(self, path: Path) -> None:
        self.registry.add_path(self.env_id, path)


def _is_our_group(group: GroupRecord) -> bool:
    """True unless the group id was reused: its leader is alive but started at another time."""
    start = process_start_ticks(group.pgid)
    return start is None or start == group.leader_start


def _delete_proxies(record: EnvRecord) -> list[str]:
    from chaos.errors import ToxiproxyApiError
    from chaos.proxy.client import ToxiproxyClient  # only needed when a real Toxiproxy was used

    done = []
    with ToxiproxyClient(record.proxy_url, timeout_s=2.0) as client:
        for name in record.proxy_names:
            try:
                client.delete_proxy(name)
                done.append(f"environment {record.env_id}: deleted proxy {name} on {record.proxy_url}")
            except ToxiproxyApiError:
                continue
    return done


def _release_postgres_shm(workdir: Path) -> None:
    """Remove the SysV segment a SIGKILLed postmaster leaves (its key/id are in postmaster.pid).

    Backends of a killed postmaster notice its death and exit within moments; the segment can only
    go once they have detached, hence the short bounded wait.
    """
    for pid_file in workdir.glob("**/postmaster.pid"):
        _release_one(pid_file.parent)


def _release_one(data_dir: Path) -> None:
    with contextlib.suppress(WaitTimeout):
        wait_until(lambda: release_segment_of(data_dir) or not segment_exists(data_dir),
                   timeout_s=3.0, what=f"shared memory of {data_dir} released")


def wait_record_gone(registry: Registry, env_id: str, timeout_s: float) -> bool:
    """Wait (bounded) until the owner removed the record, as after SIGTERM to a detached owner."""
    try:
        wait_until(lambda: registry.load(env_id) is None, timeout_s=timeout_s,
                   what=f"environment {env_id} to close")
    except WaitTimeout:
        return False
    return True
