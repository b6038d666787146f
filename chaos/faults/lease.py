"""Keeping a fault's leases alive while the runner lives: a renewal thread owned by the fault.

The proxy reverts a leased fault by itself when the lease lapses (chaos/proxy/leases.py), so a
runner that dies, even by SIGKILL, leaves its fault behind for at most one lease. While the runner
lives, this thread renews every lease a third of the way through it: two renewals in a row may be
late or lost (a stalled GIL, a slow proxy) before the proxy reverts the fault under a live run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from chaos.errors import ToxiproxyApiError
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.proxy.client import ToxiproxyClient

__all__ = ["DEFAULT_LEASE_S", "LeaseRenewer", "renew_while_injected", "report_lapsed"]

DEFAULT_LEASE_S = 15.0
"""A fault outlives a dead runner by at most this long. Long enough that a runner busy for a few
seconds (GC, a loaded 2-core machine) never loses a fault it still holds; short enough that a
crashed CI job or a closed laptop does not leave a shared environment broken for long."""

RENEWALS_PER_LEASE = 3
MAX_ERRORS_KEPT = 20  # a long game day against a flaky network must not grow this without bound


class LeaseRenewer:
    """Renews `lease_ids` on the server at `url` every `lease_s / 3` seconds until `stop()`.

    Runs on its own client (httpx clients are not shared across threads) in a daemon thread: if
    the runner's main thread dies, renewal dies with it, which is the point. A lease the server no
    longer knows (404) has lapsed, or its fault was removed by someone else: it is reported in
    `lapsed` and no longer renewed.
    """

    def __init__(self, *, url: str, lease_ids: Sequence[str], lease_s: float, name: str) -> None:
        self.url = url
        self.lease_ids = list(lease_ids)
        self.lease_s = lease_s
        self.interval_s = lease_s / RENEWALS_PER_LEASE
        self.renewals = 0
        self.lapsed: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"chaos-lease-{name}", daemon=True)

    def start(self) -> LeaseRenewer:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop renewing (before the fault is reverted); waits for an in-flight renewal, bounded."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        with ToxiproxyClient(self.url, timeout_s=max(0.5, self.interval_s)) as client:
            while not self._stop.wait(self.interval_s) and self.lease_ids:
                for lease_id in list(self.lease_ids):
                    self._renew(client, lease_id)

    def _renew(self, client: ToxiproxyClient, lease_id: str) -> None:
        try:
            client.renew_lease(lease_id)
        except ToxiproxyApiError as exc:
            if exc.status == 404:
                self.lease_ids.remove(lease_id)
                self.lapsed.append(lease_id)
            elif len(self.errors) < MAX_ERRORS_KEPT:  # transient (busy, unreachable): retried next round
                self.errors.append(f"renewing lease {lease_id}: {exc}")
        else:
            self.renewals += 1


def renew_while_injected(*, client: ToxiproxyClient, lease_ids: Sequence[str], lease_s: float | None,
                         fault: str, undo: UndoLog, receipt: Receipt) -> LeaseRenewer | None:
    """Start renewing the leases a fault was granted, stopping first when the fault is reverted,
    and say on the receipt whether the fault is protected by a lease or not (and why)."""
    if lease_s is None:
        return None
    if not lease_ids:
        receipt.notes.append(
            f"no lease: the proxy server at {client.url} ignored lease_s (a real Toxiproxy has no leases); "
            "should the runner die, this fault stays until the environment is healed or reaped")
        return None
    renewer = LeaseRenewer(url=client.url, lease_ids=lease_ids, lease_s=lease_s, name=fault)
    undo.push(f"stop renewing the leases of {fault}", renewer.stop)
    renewer.start()
    receipt.notes.append(f"leased for {lease_s:g} s (lease {', '.join(lease_ids)}), renewed every "
                         f"{renewer.interval_s:.3g} s while the runner lives; the proxy reverts it by itself "
                         "if the runner dies")
    return renewer


def report_lapsed(renewer: LeaseRenewer | None, receipt: Receipt) -> None:
    """Before the revert: a lease that lapsed means the proxy already reverted (part of) the fault."""
    if renewer is None:
        return
    if renewer.lapsed:
        receipt.notes.append(f"lease {', '.join(renewer.lapsed)} lapsed before the heal: the proxy reverted "
                             "the fault by itself (renewals were late or the fault was removed elsewhere)")
    receipt.notes.extend(renewer.errors)
