"""A listening socket that accepts nothing: its accept queue held full by connections of our own.

Why this works without root or iptables (Linux, measured in tests/proxy/test_proxy_no_accept.py):
a listener's accept queue holds `backlog + 1` handshaken connections; once it is full the kernel
*drops* incoming SYNs (tcp_conn_request: `sk_acceptq_is_full` -> drop, whatever tcp_syncookies
says), so a client's connect() gets no answer and retransmits its SYN until its own connect
timeout fires. Shrinking the backlog to 0 with a second listen() and parking one connection of
ours in the queue fills it. Closing the listener instead would answer RST (connection refused),
and leaving it open with a large backlog would let clients connect and then hit a *read* timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

__all__ = ["PARK_LIMIT", "ParkedQueue"]

log = logging.getLogger(__name__)

PARK_LIMIT = 8  # more than any Linux needs for backlog 0 (one); bounds the loop elsewhere
CONNECT_WAIT_S = 0.2  # a loopback handshake takes microseconds; no answer by then = SYN dropped


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:  # ENOTCONN: still in SYN-SENT, the listener dropped our SYN
        return False
    return True


class ParkedQueue:
    """Our own connections parked in a listener's accept queue, and the listener they block."""

    def __init__(self, listener: socket.socket, parked: list[socket.socket]) -> None:
        self.listener = listener
        self.parked = parked

    @classmethod
    async def fill(cls, listener: socket.socket) -> ParkedQueue:
        """Shrink the backlog to 0 and connect to the listener until a connect goes unanswered."""
        listener.listen(0)
        loop = asyncio.get_running_loop()
        address = listener.getsockname()
        parked: list[socket.socket] = []
        queue = cls(listener, parked)
        try:
            for _ in range(PARK_LIMIT):
                sock = socket.socket(listener.family, socket.SOCK_STREAM)
                sock.setblocking(False)
                try:
                    async with asyncio.timeout(CONNECT_WAIT_S):
                        await loop.sock_connect(sock, address)
                except TimeoutError:
                    if _connected(sock):  # our loop was slow, the handshake was not: keep it parked
                        parked.append(sock)
                        continue
                    sock.close()
                    return queue  # the SYN was dropped: the queue is full
                except BaseException:
                    sock.close()
                    raise
                parked.append(sock)
        except BaseException:
            queue.release()
            raise
        log.warning("listener %s still completed handshakes after %d parked connections: this kernel "
                    "does not drop SYNs on a full accept queue, clients may connect", address, PARK_LIMIT)
        return queue

    def release(self) -> None:
        """Close our parked connections and drop whatever waits in the queue (ours, and any client
        that got in before it filled): the listener can then accept normally again."""
        for sock in self.parked:
            sock.close()
        self.parked.clear()
        for _ in range(PARK_LIMIT * 4):  # the queue holds at most backlog + 1 of them; bounded anyway
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the listener itself is closing
                return
            with contextlib.suppress(OSError):
                conn.close()
