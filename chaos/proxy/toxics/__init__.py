"""The toxics, one module each, and the explicit registry of their wire names.

No import-time registration: `REGISTRY` is written out here, so what exists is visible in one place.
"""

from __future__ import annotations

from chaos.proxy.toxics.bandwidth import Bandwidth
from chaos.proxy.toxics.base import CleanupToxic, StatefulToxic, Toxic, ToxicAttributeError, build_toxic
from chaos.proxy.toxics.latency import Latency
from chaos.proxy.toxics.limit_data import LimitData
from chaos.proxy.toxics.noop import Noop
from chaos.proxy.toxics.reset_peer import ResetPeer
from chaos.proxy.toxics.slicer import Slicer
from chaos.proxy.toxics.slow_close import SlowClose
from chaos.proxy.toxics.timeout import Timeout

__all__ = [
    "NOOP",
    "REGISTRY",
    "Bandwidth",
    "CleanupToxic",
    "Latency",
    "LimitData",
    "Noop",
    "ResetPeer",
    "Slicer",
    "SlowClose",
    "StatefulToxic",
    "Timeout",
    "Toxic",
    "ToxicAttributeError",
    "build_toxic",
]

REGISTRY: dict[str, type[Toxic]] = {
    "noop": Noop,
    "latency": Latency,
    "bandwidth": Bandwidth,
    "slow_close": SlowClose,
    "timeout": Timeout,
    "reset_peer": ResetPeer,
    "slicer": Slicer,
    "limit_data": LimitData,
}

NOOP: Toxic = Noop()  # what a stub runs when the toxicity draw skips its toxic
