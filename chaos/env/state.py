"""Where a checkout keeps its run state, so two checkouts (or two users) never see each other's.

The state dir holds the registry of live environments (`envs/`) and the logs of detached ones
(`logs/`). It used to be one directory per user (`/tmp/chaos-suite-<uid>`), shared by every checkout:
`chaos down` listed other checkouts' environments and `--all` would have stopped them. Now it is,
in this order:

1. `$CHAOS_STATE_DIR`, as given (the caller chose it; nothing is appended);
2. `$XDG_RUNTIME_DIR/chaos-suite/<checkout>` (per login session, private to the user, cleared at logout);
3. `<temp dir>/chaos-suite-<uid>/<checkout>`;

where `<checkout>` is the checkout's folder name and a hash of its real path: the checkout is the
directory the `chaos` package in use was imported from, so each clone, worktree or copy with its
own install gets its own registry.

What stays shared per user is what is keyed by content and published atomically, so no run can see
another's half-made or changed copy: the Postgres template (`~/.cache/chaos-suite`, see
pgtemplate.py) and the spare copies of it, kept in the temp dir beside the environments' work dirs
(taking one is a rename, which only works within one file system) and keyed by the template's name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import chaos

__all__ = ["checkout_key", "checkout_root", "default_state_dir", "spares_root", "user_temp_dir"]


def checkout_root() -> Path:
    """The checkout (or install) the running `chaos` package comes from."""
    return Path(chaos.__file__).resolve().parent.parent


def checkout_key(root: Path | None = None) -> str:
    """`<folder name>-<12 hex digits of the real path's SHA-256>`: readable, and unique per checkout."""
    real = (root or checkout_root()).resolve()
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:12]
    return f"{real.name or 'root'}-{digest}"


def user_temp_dir() -> Path:
    """`<temp dir>/chaos-suite-<uid>`: the per-user part shared by every checkout."""
    return Path(tempfile.gettempdir()) / f"chaos-suite-{os.getuid()}"


def default_state_dir(environ: Mapping[str, str] | None = None, *, root: Path | None = None) -> Path:
    """This checkout's state dir (see the module docstring for the order). `environ` defaults to
    the process environment; it is read here, once, by whoever builds the registry."""
    env = os.environ if environ is None else environ
    explicit = env.get("CHAOS_STATE_DIR", "")
    if explicit:
        return Path(explicit).expanduser()
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and _private_dir(Path(runtime)):
        return Path(runtime) / "chaos-suite" / checkout_key(root)
    return user_temp_dir() / checkout_key(root)


def spares_root() -> Path:
    """Where spare Postgres clusters wait: shared per user, one folder per template name (postgres.py)."""
    return user_temp_dir() / "pg-spares"


def _private_dir(path: Path) -> bool:
    """An XDG runtime dir we may use: ours and closed to others (the spec's promise; a stale or
    borrowed value from another user's session is ignored)."""
    try:
        info = path.stat()
    except OSError:
        return False
    return path.is_dir() and info.st_uid == os.getuid() and info.st_mode & 0o077 == 0
