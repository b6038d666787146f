"""A Postgres cluster initialised once and cached, so each environment only copies it (about 0.2 s).

`initdb` costs about 1.2 s; copying its result costs a fraction of that. The template lives in
`<cache>/pg<major>-template-v<N>` and is created under a file lock and published with an atomic
rename, so two pytest-xdist workers racing on a cold cache neither initdb twice nor see half a
template.

The same mechanism keeps *prepared* templates: a target's cluster after its roles, database,
init_sql and `[service.prepare]` commands, in `<cache>/pg<major>-prepared-<key>-<dependency>`,
keyed by a hash of those inputs (`chaos.env.prepare`). The build holds the key's lock (a second
worker waits, then copies the result) and publishes by rename, so a crash mid-build leaves only a
`.tmp-<pid>` that the next publish removes, never a template. Prepared templates nobody used for
`PREPARED_KEPT_DAYS` are removed when a new one is published.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from chaos.env.process import RunAs
from chaos.env.tools import PostgresTools
from chaos.errors import DependencyStartTimeout

__all__ = ["PREPARED_KEPT_DAYS", "SPARES_KEPT", "TEMPLATE_VERSION", "clone_cluster", "default_cache_dir",
           "ensure_template", "is_template", "make_spare", "prepared_template_path", "publish_template",
           "template_lock"]

TEMPLATE_VERSION = 2      # bump when the initdb options change
_LOCK_TIMEOUT_S = 120.0   # another worker's initdb takes ~1-2 s; this bounds a wedged one
SPARES_KEPT = 2           # one per pytest-xdist worker of `make test` (-n 2)
PREPARED_KEPT_DAYS = 14   # an unused prepared template (inputs changed since) is removed after this


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "chaos-suite"


@contextlib.contextmanager
def _locked(lock_path: Path, timeout_s: float = _LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive flock on `lock_path`: the kernel drops it when its holder dies, so no stale lock."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{lock_path} still locked after {timeout_s:g} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_template(tools: PostgresTools, run_as: RunAs | None, cache_dir: Path | None = None) -> Path:
    """The cached template data dir, creating it with initdb on first use (race-safe)."""
    cache = cache_dir or default_cache_dir()
    template = cache / f"pg{tools.major}-template-v{TEMPLATE_VERSION}"
    if (template / "PG_VERSION").is_file():
        return template
    with _locked(cache / f"{template.name}.lock"):
        if (template / "PG_VERSION").is_file():
            return template
        # initdb runs as `run_as`, which may not reach `cache` (root's home is 0700): build in /tmp
        # and copy, preserving ownership, next to the final place, then rename atomically.
        build_root = Path(tempfile.mkdtemp(prefix="chaos-initdb-"))
        try:
            if run_as is not None:
                os.chmod(build_root, 0o711)
            data = build_root / "data"
            data.mkdir(mode=0o700)
            if run_as is not None:
                os.chown(data, run_as.uid, run_as.gid)
            _initdb(tools, run_as, data)
            staging = cache / f".{template.name}.tmp-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            _copy_tree(data, staging)
            os.rename(staging, template)
        finally:
            shutil.rmtree(build_root, ignore_errors=True)
    return template


def _initdb(tools: PostgresTools, run_as: RunAs | None, data: Path) -> None:
    argv = [str(tools.initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
            # 1 MB WAL segments instead of 16: the template (and each copy of it) shrinks from 39 to 24 MB
            "--wal-segsize=1"]
    try:
        subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True,
                       user=run_as.uid if run_as else None, group=run_as.gid if run_as else None,
                       extra_groups=[] if run_as else None, cwd=data.parent)
    except subprocess.CalledProcessError as exc:
        raise DependencyStartTimeout(name="initdb", timeout_s=60, last_error=f"exit code {exc.returncode}",
                                     log_tail=(exc.stdout + exc.stderr)[-2000:]) from exc


def _copy_tree(src: Path, dst: Path) -> None:
    """`cp -a`: keeps owner and modes (the data dir must stay 0700 and owned by the server user).

    --sparse=always turns the zero-filled tail of WAL segments and relation files into holes, so a
    copy writes a fraction of the bytes (measured: 0.15 s idle; it is on the start-up's critical path).
    """
    subprocess.run(["cp", "-a", "--sparse=always", "--no-target-directory", str(src), str(dst)], check=True,
                   timeout=60, capture_output=True)


def clone_cluster(template: Path, data_dir: Path, *, spares: Path | None = None) -> bool:
    """A fresh cluster at `data_dir` (which must not exist). Returns True if it came from a spare.

    A spare is a copy of the template made earlier, off the critical path (see `make_spare`):
    taking one is a rename, where a copy costs 0.15 s on an idle machine and over 1 s on a busy one,
    the longest step of an environment's start-up. Without a spare (or across file systems) we copy.
    """
    if spares is not None and spares.is_dir():
        for spare in sorted(spares.glob("spare-*")):
            try:
                os.rename(spare, data_dir)     # atomic: of two takers, one wins, the other tries the next
            except OSError:
                continue
            return True
    _copy_tree(template, data_dir)
    return False


def make_spare(template: Path, spares: Path, *, keep: int = SPARES_KEPT) -> Path | None:
    """Copy the template into the spares dir unless `keep` spares are there already.

    The copy is published by rename, so a taker never sees half of one. Partial copies of dead
    processes (a `.tmp-<pid>` left by a kill) are removed on the way.
    """
    spares.mkdir(parents=True, exist_ok=True)
    os.chmod(spares, 0o711)   # the server user must reach a spare once it is renamed into place
    for partial in spares.glob(".tmp-*"):
        pid = partial.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(partial, ignore_errors=True)
    if len(list(spares.glob("spare-*"))) >= keep:
        return None
    staging = spares / f".tmp-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        _copy_tree(template, staging)
        final = spares / f"spare-{time.time_ns()}-{os.urandom(2).hex()}"
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


# --- prepared templates ------------------------------------------------------------------------------

def is_template(path: Path) -> bool:
    """True if `path` is a published (complete) cluster: only a finished copy is ever renamed there."""
    return (path / "PG_VERSION").is_file()


def prepared_template_path(cache: Path, major: int, key: str, dependency: str) -> Path:
    """Where the prepared cluster of `dependency` for inputs hashing to `key` lives."""
    return cache / f"pg{major}-prepared-{key[:20]}-{dependency}"


def template_lock(cache: Path, major: int, key: str, *, timeout_s: float) -> contextlib.AbstractContextManager[None]:
    """The lock a build of `key`'s templates holds; TimeoutError after `timeout_s` (another build wedged)."""
    return _locked(cache / f"pg{major}-prepared-{key[:20]}.lock", timeout_s)


def publish_template(data_dir: Path, template: Path) -> bool:
    """Copy the *stopped* cluster at `data_dir` into the cache as `template`; False if one is there already.

    The copy goes to `.<name>.tmp-<pid>` first and is renamed into place, so a reader sees a
    complete template or none. Leftovers of dead builders are removed on the way, as are prepared
    templates unused for `PREPARED_KEPT_DAYS`.
    """
    cache = template.parent
    cache.mkdir(parents=True, exist_ok=True)
    _remove_dead_partials(cache)
    _prune_prepared(cache, keep=template)
    if is_template(template):
        return False
    staging = cache / f".{template.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy_tree(data_dir, staging)
        (staging / "postmaster.pid").unlink(missing_ok=True)   # never there after a clean stop; belt
        os.rename(staging, template)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def _remove_dead_partials(cache: Path) -> None:
    for partial in cache.glob(".*.tmp-*"):
        pid = partial.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(partial, ignore_errors=True)


def _prune_prepared(cache: Path, *, keep: Path) -> None:
    cutoff = time.time() - PREPARED_KEPT_DAYS * 86400
    for old in cache.glob("pg*-prepared-*"):
        if old != keep and old.is_dir() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
