"""Release the System V shared-memory segment of a Postgres cluster whose postmaster was SIGKILLed.

Postgres keeps a small SysV segment as an interlock. A clean shutdown removes it; a SIGKILLed
postmaster leaves it, and only a later postmaster on the same data dir would clean it. We delete
data dirs, so we remove it ourselves, matching key, id and "no process attached" first.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

__all__ = ["release_segment_of", "segment_exists"]

_IPC_RMID = 0
_LIBC = ctypes.CDLL(None, use_errno=True)


def _segment_ids(data_dir: Path) -> tuple[int, int] | None:
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 7:
        return None
    parts = lines[6].split()
    if len(parts) != 2 or not all(p.lstrip("-").isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _rows() -> list[list[str]]:
    try:
        return [row.split() for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    except OSError:
        return []


def segment_exists(data_dir: Path) -> bool:
    """True if the segment named in `data_dir/postmaster.pid` still exists."""
    ids = _segment_ids(data_dir)
    return ids is not None and any(len(c) > 6 and (int(c[0]), int(c[1])) == ids for c in _rows())


def release_segment_of(data_dir: Path) -> bool:
    """Remove the segment `data_dir/postmaster.pid` names if it exists with no process attached."""
    ids = _segment_ids(data_dir)
    if ids is None:
        return False
    key, shmid = ids
    for cols in _rows():
        # key shmid perms size cpid lpid nattch ...
        if len(cols) > 6 and int(cols[0]) == key and int(cols[1]) == shmid and int(cols[6]) == 0:
            return bool(_LIBC.shmctl(shmid, _IPC_RMID, None) == 0)
    return False
