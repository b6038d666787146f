"""Each toxic's measured effect on real connections through the embedded proxy.

Timing tolerances are stated per assertion; they allow for a 2-core machine shared with other
work: late by scheduling, never early by more than timer rounding (1 ms).
"""

from __future__ import annotations

import socket
import time

import pytest
from support.sockets import (
    EchoServer,
    closed_within,
    connect,
    median_round_trip_s,
    min_round_trip_s,
    recv_all,
    recv_exactly,
)

from chaos.proxy import ToxiproxyClient


@pytest.fixture
def listen(toxiproxy: ToxiproxyClient, echo: EchoServer) -> str:
    """A proxy "echo" in front of the echo server; its listen address."""
    return toxiproxy.create_proxy("echo", upstream=echo.address).listen


def test_latency_adds_100_ms_to_a_round_trip(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as sock:
        base = min_round_trip_s(sock)
        toxiproxy.add_toxic("echo", "latency", attributes={"latency": 100})
        added = min_round_trip_s(sock, count=7) - base
    # the bound: 100 ms ± 5 ms; the fastest of 7 trips, since load on a shared machine only adds
    # (the median of 7 read 107.8 ms once under a full parallel test run)
    assert 0.095 <= added <= 0.105, added


def test_latency_is_one_way_per_stream_and_stacks(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "latency", stream="upstream", attributes={"latency": 40})
    toxiproxy.add_toxic("echo", "latency", stream="downstream", attributes={"latency": 30})
    toxiproxy.add_toxic("echo", "latency", name="more", stream="downstream", attributes={"latency": 30})
    with connect(listen) as sock:
        rtt = min_round_trip_s(sock)
    assert 0.099 <= rtt <= 0.115, rtt  # 40 + 30 + 30 ms; +15 ms for scheduling, -1 ms timer rounding


def test_latency_jitter_stays_within_its_range(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "latency", attributes={"latency": 50, "jitter": 20})
    with connect(listen) as sock:
        samples = [median_round_trip_s(sock, count=1) for _ in range(8)]
    # 50 ± 20 ms; the lower bound is the sharp one (load only adds), the upper one allows 50 ms of
    # scheduling on a loaded machine and still rejects a jitter that ignores its range
    assert all(0.029 <= s <= 0.120 for s in samples), samples
    assert max(samples) - min(samples) > 0.004, samples  # it does vary


def test_bandwidth_limits_the_rate(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "bandwidth", attributes={"rate": 200})  # 200 KB/s downstream
    payload = bytes(range(256)) * 400  # 102,400 bytes: 0.512 s at 200,000 B/s
    with connect(listen) as sock:
        start = time.perf_counter()
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload
        elapsed = time.perf_counter() - start
    assert 0.46 <= elapsed <= 0.80, elapsed  # 0.512 s: -10 % timer rounding, +0.3 s scheduling


@pytest.mark.slow
def test_bandwidth_moves_500_kb_in_about_5_s(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "bandwidth", attributes={"rate": 100})  # 100 KB/s downstream
    payload = b"x" * 500_000
    with connect(listen, timeout_s=10) as sock:
        start = time.perf_counter()
        sock.sendall(payload)
        assert len(recv_exactly(sock, len(payload), timeout_s=10)) == len(payload)
        elapsed = time.perf_counter() - start
    assert 4.9 <= elapsed <= 5.5, elapsed  # 5.0 s: -2 % timer rounding, +0.5 s scheduling


def test_bandwidth_zero_holds_data_until_removed(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "bandwidth", name="cut", attributes={"rate": 0})
    with connect(listen) as sock:
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(16)  # nothing for 0.3 s: held, and the connection stays open
        toxiproxy.delete_toxic("echo", "cut")
        assert recv_exactly(sock, 4) == b"held"  # flushed, not dropped


def test_slow_close_delays_the_close(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "slow_close", attributes={"delay": 300})
    with connect(listen) as sock:
        sock.sendall(b"bye")
        sock.shutdown(socket.SHUT_WR)  # the echo server then closes its side
        assert recv_exactly(sock, 3) == b"bye"  # data is not delayed
        start = time.perf_counter()
        assert recv_all(sock) == b""
        elapsed = time.perf_counter() - start
    assert 0.28 <= elapsed <= 0.5, elapsed  # 300 ms delay: -20 ms for the data's own trip, +0.2 s


def test_timeout_zero_stalls_until_removed_then_closes(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "timeout", name="blackhole", attributes={"timeout": 0})
    with connect(listen) as sock:
        sock.sendall(b"lost")
        assert not closed_within(sock, 0.4)  # open and silent
        start = time.perf_counter()
        toxiproxy.delete_toxic("echo", "blackhole")
        assert closed_within(sock, 2.0)  # removal closes the connection
        assert time.perf_counter() - start < 1.0
        # the dropped data never arrives: closed_within read EOF, not "lost"


def test_timeout_closes_after_the_given_time(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "timeout", attributes={"timeout": 200})
    with connect(listen) as sock:
        start = time.perf_counter()
        sock.sendall(b"x")
        assert closed_within(sock, 2.0)
        elapsed = time.perf_counter() - start
    assert 0.19 <= elapsed <= 0.5, elapsed  # 200 ms without data: -10 ms rounding, +0.3 s scheduling


def test_reset_peer_gives_connection_reset(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "reset_peer", attributes={"timeout": 100})
    with connect(listen) as sock:
        start = time.perf_counter()
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            recv_all(sock)  # the triggering chunk is not forwarded; then an RST
        elapsed = time.perf_counter() - start
    assert 0.09 <= elapsed <= 0.4, elapsed  # waits 100 ms first: -10 ms rounding, +0.3 s scheduling


def test_reset_peer_also_resets_connections_opened_before_it(toxiproxy: ToxiproxyClient, listen: str) -> None:
    with connect(listen) as sock:
        sock.sendall(b"a")
        assert recv_exactly(sock, 1) == b"a"
        toxiproxy.add_toxic("echo", "reset_peer", stream="upstream", attributes={"timeout": 0})
        sock.sendall(b"b")
        with pytest.raises(ConnectionResetError):
            recv_all(sock)  # Toxiproxy sends a FIN here (linger is only set at accept)


def test_limit_data_closes_after_n_bytes(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "limit_data", attributes={"bytes": 10})
    with connect(listen) as sock:
        sock.sendall(b"0123456")
        assert recv_exactly(sock, 7) == b"0123456"
        sock.sendall(b"789abcdef")
        assert recv_all(sock) == b"789"  # the chunk reaching the limit is cut, then the close


def test_limit_data_counts_per_connection(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "limit_data", attributes={"bytes": 5})
    for _ in range(2):  # each connection gets its own 5 bytes
        with connect(listen) as sock:
            sock.sendall(b"abcdefgh")
            assert recv_all(sock) == b"abcde"


def test_slicer_splits_chunks(toxiproxy: ToxiproxyClient, listen: str) -> None:
    attributes = {"average_size": 100, "size_variation": 20, "delay": 5000}  # bytes, bytes, µs
    toxiproxy.add_toxic("echo", "slicer", attributes=attributes)
    payload = bytes(range(256)) * 4  # 1024 bytes
    with connect(listen) as sock:
        sock.sendall(payload)
        reads = []
        received = b""
        while len(received) < len(payload):
            sock.settimeout(5)
            reads.append(sock.recv(4096))
            assert reads[-1], "closed early"
            received += reads[-1]
    assert received == payload
    assert len(reads) >= 5, [len(r) for r in reads]  # ~10 slices 5 ms apart arrive separately
    assert max(len(r) for r in reads) <= 240, [len(r) for r in reads]  # slices of about 100 ± 20 bytes


def test_toxicity_zero_never_applies_and_one_always(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "latency", toxicity=0.0, attributes={"latency": 300})
    with connect(listen) as sock:
        assert min_round_trip_s(sock, count=3) < 0.1  # no 300 ms: the draw said noop
    toxiproxy.update_toxic("echo", "latency_downstream", toxicity=1.0)
    with connect(listen) as sock:
        assert median_round_trip_s(sock, count=1) >= 0.299  # always; -1 ms timer rounding


def test_toxicity_is_drawn_per_connection(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "latency", toxicity=0.5, attributes={"latency": 60})
    slow = 0
    for _ in range(16):
        with connect(listen) as sock:
            # the fastest of 3 trips each time: a stalled untoxic'd trip read 59 ms once under load
            first = min_round_trip_s(sock, count=3)
            second = min_round_trip_s(sock, count=3)
        assert (first >= 0.059) == (second >= 0.059), (first, second)  # same draw for the connection
        slow += first >= 0.059
    assert 1 <= slow <= 15  # P(all 16 alike) = 2 * 0.5**16: a seeded run, and 3e-5 otherwise


def test_noop_toxic_passes_data(toxiproxy: ToxiproxyClient, listen: str) -> None:
    toxiproxy.add_toxic("echo", "noop")
    with connect(listen) as sock:
        payload = b"z" * 300_000
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload
