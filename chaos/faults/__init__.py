"""Faults: each a small object driven by `injected()`, which always reverts it and checks the revert.

    with injected(ToxicFault(client=env.proxy, dependency=db, toxic_type="latency",
                             attributes={"latency": 800}), timeline=timeline) as receipt:
        ...   # observe the SUT under the fault
    # here the toxic is gone, verified; receipt.bit says whether it ever touched the system

Nest them with `contextlib.ExitStack` to combine faults; they unwind in reverse order.
"""

from chaos.faults.active import ActiveFaults
from chaos.faults.base import Fault
from chaos.faults.database import BackendsTerminated
from chaos.faults.dependency import DependencyKilled, DependencyPaused, DependencyRestarted, DependencyStopped
from chaos.faults.lifecycle import injected
from chaos.faults.network import ConnectionsNotAccepted, ProxyDisabled, ToxicFault
from chaos.faults.process import SutSignalled
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.faults.upstream import UpstreamMisbehaves
from chaos.faults.workload import InvalidRequests

__all__ = [
    "ActiveFaults",
    "BackendsTerminated",
    "ConnectionsNotAccepted",
    "DependencyKilled",
    "DependencyPaused",
    "DependencyRestarted",
    "DependencyStopped",
    "Fault",
    "InvalidRequests",
    "ProxyDisabled",
    "Receipt",
    "SutSignalled",
    "ToxicFault",
    "UndoLog",
    "UpstreamMisbehaves",
    "injected",
]
