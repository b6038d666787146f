"""One seed per run, one derived seed per experiment, and from it every random choice of the run.

The run seed (`--chaos-seed`, or drawn and printed) never feeds a generator directly: each
experiment gets `derive_seed(run_seed, nodeid)`, so its choices do not depend on which other
experiments ran before it on the same worker (`-n 2`, `-k` selections replay the same choices), and
each part (a proxy, the fake API, the `{unique}` token, the experiment's own draws) gets a seed
derived from the experiment's, so adding a draw in one part never shifts another part's draws.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from chaos.env.base import HttpUpstreamHandle
from chaos.errors import ToxiproxyApiError, UpstreamControlError

if TYPE_CHECKING:
    from chaos.env.base import Environment

__all__ = ["SEED_BITS", "derive_seed", "draw_seed", "run_token", "seed_environment"]

SEED_BITS = 32  # short enough to type back after `--chaos-seed`


def draw_seed() -> int:
    """A fresh run seed, when none was given (printed in the report header so it can be replayed)."""
    return secrets.randbits(SEED_BITS)


def derive_seed(seed: int, *parts: str) -> int:
    """A seed for `parts` (a test's nodeid, "proxy", a dependency name) under `seed`: stable across
    runs, machines and Python versions (SHA-256, not `hash()`, which PYTHONHASHSEED salts)."""
    text = "\x1f".join((str(seed), *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def run_token(seed: int) -> str:
    """The `{unique}` token of an experiment: 8 hex digits derived from its seed.

    A replay reuses the tokens, which is what makes it a replay; the environments the suite starts
    are fresh (new databases), so they never see a token twice. Against a long-lived service,
    replay with a new seed instead."""
    return f"{derive_seed(seed, 'token') & 0xFFFFFFFF:08x}"


def seed_environment(env: Environment, seed: int) -> list[str]:
    """Reseed every random source of the environment for one experiment; a note per failure.

    Each dependency's proxy gets its own seed (its toxicity draws: which connections a toxic with
    toxicity < 1 hits, latency jitter), and so does each fake external API (its `fail_fraction`
    draws). A real Toxiproxy ignores the seed (its draws are unseeded, Toxiproxy issue #274); the
    note says so, since toxicity < 1 then cannot be replayed."""
    notes: list[str] = []
    for name, dep in env.dependencies.items():
        proxy_seed = derive_seed(seed, "proxy", name)
        try:
            env.proxy.update_proxy(dep.proxy_name, seed=proxy_seed)
        except ToxiproxyApiError as exc:
            notes.append(f"could not seed proxy {dep.proxy_name}: {exc}")
        if isinstance(dep, HttpUpstreamHandle):
            try:
                dep.control.set_seed(derive_seed(seed, "upstream", name))
            except UpstreamControlError as exc:
                notes.append(f"could not seed the fake API {name}: {exc}")
    return notes
