"""Fuzz the proxy API of `chaos proxy` with seeded hostile requests and check its invariants.

    .venv/bin/python bench/fuzz_proxy_api.py [--requests 6000] [--seed 15]     # about a minute

Each request is an ordinary one (create, update, delete, toxics, populate, reset) with a field or
the body mutated: lone surrogates, 300,000-character names, numbers of 5,000 digits, JSON nested
100,000 deep, NaN, Unicode digits in ports, non-loopback and privileged listen addresses, wrong
types, bytes flipped, cut or inserted; some go as raw bytes on a socket (malformed HTTP). Every
CHECK_EVERY requests, and at the end, the invariants are checked:
- `GET /proxies` is 200 and valid JSON, and every listed proxy and toxic answers 200 by name;
- `POST /reset` is 204 (at the checkpoints only, so state builds up in between);
- nothing the server process listens on is off loopback (its sockets, read from /proc);
- at the end every listed proxy deletes with 204.
Printed: answers by status, the 500s (those with Toxiproxy's deliberate "listen tcp ..." message
apart), invariant breaks, ERROR lines and tracebacks in the server's log, the server's RSS before
and after. Ports are 0, invalid, privileged or out of range (never bound), or one our own proxies
hold: the fuzz never takes a port someone else's test on this machine might be about to bind.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ipaddress
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from chaos.env.process import reap_group
from chaos.waiting import wait_until

CHECK_EVERY = 100
SURROGATES = ["\ud800", "\udfff", "a\udc80"]
NAMES = ["redis", "pg", "a b", "x" * 128, "x" * 129, "..", "a/b", "%41", " lead", "y" * 300_000, "caf\u00e9",
         "tab\t", "", "gw0-1-postgres", *SURROGATES]
HOSTS = ["127.0.0.1", "127.0.0.2", "localhost", "[::1]", "", "0.0.0.0", "[::]", "10.0.0.1", "255.255.255.255",
         "224.0.0.1", "no-such-host.invalid", "[fe80::1]", "a..b", "\u0661\u0662\u0667.0.0.1"]
PORTS = ["0", "0", "0", "80", "1023", "99999", "-1", "\u00b2", "\u0661\u0668\u0665\u0660\u0660", "abc", "",
         "65536", "0" * 40]
TYPES = ["latency", "timeout", "slicer", "bandwidth", "noop", "limit_data", "reset_peer", "slow_close", "nope", ""]
ODD_VALUES: list[object] = [None, True, -1, 0, 1 << 63, 10 ** 30, 1.5, 1e308, "1", "", [], {}, [[[]]],
                            *SURROGATES, "x" * 2000]
RAW_BODIES = [b"[" * 100_000, b'{"name": ' + b"9" * 5000 + b"}", b'{"toxicity": NaN}', b'{"toxicity": 1e999}',
              b"", b"\xff\xfe", b'{"a":' * 40 + b"1" + b"}" * 40, b" " * ((1 << 20) + 1)]
RAW_HTTP = [b"GET /proxies HTTP/1.1\r\nNo colon\r\n\r\n", b"\x16\x03\x01\x02\x00 tls hello\r\n\r\n",
            b"GET /" + b"x" * 9000 + b" HTTP/1.1\r\n\r\n", b"POST /proxies HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            b"POST /proxies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"GARBAGE\r\n\r\n"]


class Fuzzer:
    """Seeded request generator and bookkeeper against one server at `url`."""

    def __init__(self, url: str, upstream: str, seed: int) -> None:
        self.url = url
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.api = httpx.Client(base_url=url, timeout=30)
        self.statuses: collections.Counter[int] = collections.Counter()
        self.listen_500s = 0
        self.other_500s: list[str] = []
        self.breaks: list[str] = []
        self.sent = 0

    # --- generation -------------------------------------------------------------------------------

    def _pick(self, values: list[str]) -> str:
        return self.rng.choice(values)

    def proxies(self) -> dict[str, dict[str, Any]]:
        listing: dict[str, dict[str, Any]] = self.api.get("/proxies").json()
        return listing

    def _existing(self) -> str:
        names = list(self.proxies())
        return self.rng.choice(names) if names and self.rng.random() < 0.8 else self._pick(NAMES)

    def _listen(self) -> str:
        if self.rng.random() < 0.1:
            taken = [str(p["listen"]) for p in self.proxies().values() if p["enabled"]]
            if taken:
                return self.rng.choice(taken)
        if self.rng.random() < 0.5:
            return "127.0.0.1:0"
        return f"{self._pick(HOSTS)}:{self._pick(PORTS)}"

    def _mutate(self, body: dict[str, object]) -> dict[str, object]:
        if body and self.rng.random() < 0.5:
            body[self.rng.choice(list(body))] = self.rng.choice(ODD_VALUES)
        return body

    def _encode(self, body: object) -> bytes:
        data = bytearray(json.dumps(body).encode())  # ensure_ascii: a lone surrogate goes as its escape
        roll = self.rng.random()
        if roll < 0.05 and data:
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        elif roll < 0.08:
            del data[self.rng.randrange(len(data) + 1):]
        elif roll < 0.10:
            data.insert(self.rng.randrange(len(data) + 1), self.rng.randrange(256))
        return bytes(data)

    def segment(self, name: str) -> str:
        return quote(name.encode("utf-8", "surrogatepass"), safe="")[:9000]

    def one(self) -> None:
        kind = self.rng.choices(["create", "toxic", "update", "update_toxic", "delete", "populate", "raw_body",
                                 "raw_http", "reset", "get"], weights=[20, 18, 12, 8, 6, 6, 12, 4, 2, 12])[0]
        name = self._existing()
        if kind == "create":
            body = {"name": self._pick(NAMES) if self.rng.random() < 0.5 else f"p{self.rng.randrange(30)}",
                    "listen": self._listen(), "upstream": self.upstream, "enabled": self.rng.random() < 0.8}
            self.send("POST", "/proxies", self._encode(self._mutate(body)))
        elif kind == "toxic":
            attributes = {k: self.rng.choice([0, 1, 5, 10, 100, -1, 1 << 63]) for k in
                          self.rng.sample(["latency", "jitter", "rate", "delay", "timeout", "bytes", "average_size",
                                           "size_variation"], self.rng.randrange(3))}
            body = {"type": self._pick(TYPES), "stream": self._pick(["upstream", "downstream", "UpStream", "x"]),
                    "attributes": attributes, "toxicity": self.rng.choice([1, 0.5, 0, 2, -1])}
            if self.rng.random() < 0.5:
                body["name"] = self._pick(NAMES)
            self.send("POST", f"/proxies/{self.segment(name)}/toxics", self._encode(self._mutate(body)))
        elif kind == "update":
            body = {"listen": self._listen(), "enabled": self.rng.random() < 0.5}
            if self.rng.random() < 0.3:
                body[self._pick(["accept", "seed", "lease_s", "upstream"])] = self.rng.choice(ODD_VALUES)
            self.send(self._pick(["PATCH", "POST"]), f"/proxies/{self.segment(name)}",
                      self._encode(self._mutate(body)))
        elif kind == "update_toxic":
            proxy: dict[str, Any] = self.proxies().get(name, {})
            toxic = self.rng.choice(proxy.get("toxics") or [{"name": self._pick(NAMES)}])
            body = {"attributes": {"latency": self.rng.choice([1, -1, 1 << 64])}, "toxicity": self.rng.random()}
            self.send("PATCH", f"/proxies/{self.segment(name)}/toxics/{self.segment(str(toxic['name']))}",
                      self._encode(self._mutate(body)))
        elif kind == "delete":
            self.send("DELETE", f"/proxies/{self.segment(name)}", b"")
        elif kind == "populate":
            entries = [{"name": f"p{self.rng.randrange(30)}" if self.rng.random() < 0.7 else self._pick(NAMES),
                        "listen": self._listen(), "upstream": self.upstream} for _ in range(self.rng.randrange(4))]
            self.send("POST", "/populate", self._encode(entries))
        elif kind == "raw_body":
            method, route = self.rng.choice([("POST", "/proxies"), ("POST", "/populate"), ("PATCH", "/proxies/{p}"),
                                             ("POST", "/proxies/{p}/toxics"), ("POST", "/leases/{p}")])
            self.send(method, route.replace("{p}", self.segment(name)), self.rng.choice(RAW_BODIES))
        elif kind == "raw_http":
            self.send_raw(self.rng.choice(RAW_HTTP))
        elif kind == "reset":
            self.send("POST", "/reset", b"")
        else:
            self.send("GET", self._pick([f"/proxies/{self.segment(name)}", f"/proxies/{self.segment(name)}/toxics",
                                         "/version", "/leases", "/nope", "/metrics"]), b"")

    # --- sending and checking ---------------------------------------------------------------------

    def send(self, method: str, path: str, body: bytes) -> None:
        response = self.api.request(method, path, content=body)
        self.record(response.status_code, response.text, f"{method} {path[:80]} {body[:120]!r}")

    def send_raw(self, data: bytes) -> None:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(data)
            answer = b""
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                while chunk := sock.recv(65536):
                    answer += chunk
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
        self.record(status, answer.decode("latin-1"), f"raw {data[:60]!r}")

    def record(self, status: int, text: str, what: str) -> None:
        self.sent += 1
        self.statuses[status] += 1
        if status >= 500:
            try:
                message = str(json.loads(text)["error"])
            except (ValueError, KeyError, TypeError):
                message = text[:200]
            if status == 500 and message.startswith("listen tcp"):
                self.listen_500s += 1
            else:
                self.other_500s.append(f"{status} {message[:200]} <- {what}")
        elif status == 0:
            self.breaks.append(f"no HTTP answer <- {what}")

    def check(self, server_pid: int, *, reset: bool) -> None:
        try:
            listing = self.api.get("/proxies")
            proxies = json.loads(listing.content)
            if listing.status_code != 200:
                self.breaks.append(f"GET /proxies answered {listing.status_code}")
            for name, proxy in proxies.items():
                if self.api.get(f"/proxies/{self.segment(name)}").status_code != 200:
                    self.breaks.append(f"proxy {name!r} listed but not addressable")
                for toxic in proxy["toxics"]:
                    path = f"/proxies/{self.segment(name)}/toxics/{self.segment(toxic['name'])}"
                    if self.api.get(path).status_code != 200:
                        self.breaks.append(f"toxic {toxic['name']!r} of {name!r} listed but not addressable")
            if reset and (status := self.api.post("/reset").status_code) != 204:
                self.breaks.append(f"POST /reset answered {status}")
        except (ValueError, httpx.HTTPError) as exc:
            self.breaks.append(f"listing failed: {exc!r}")
        for address in listening_addresses(server_pid):
            if not ipaddress.ip_address(address).is_loopback:
                self.breaks.append(f"the server listens on {address}")


def listening_addresses(pid: int) -> list[str]:
    """The local IPs of the TCP sockets process `pid` listens on (its fds matched to /proc/net/tcp*)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = fd.readlink().as_posix()
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            # /proc prints each 32-bit word in host (little-endian) order
            ip = b"".join(raw[i:i + 4][::-1] for i in range(0, width, 4))
            found.append(str(ipaddress.ip_address(ip)))
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def server(log: Path) -> Iterator[tuple[int, str]]:
    """`chaos proxy --port 0` in its own process group, logging at WARNING to `log`; always reaped."""
    ready = log.with_suffix(".ready")
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "chaos", "proxy", "--port", "0", "--ready-file", str(ready),
                                 "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    try:
        wait_until(ready.exists, timeout_s=15, what="chaos proxy writes its ready file")
        yield proc.pid, "http://" + ready.read_text().strip()
    finally:
        reap_group(proc.pid, grace_s=5.0, leader=proc)


@contextlib.contextmanager
def echo_upstream() -> Iterator[str]:
    """A loopback listener that accepts and closes: an upstream for the proxies (no traffic is sent)."""
    sock = socket.create_server(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=6000, help="fuzzed requests to send (default: 6000)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the generator (default: 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaos-fuzz-") as tmp, echo_upstream() as upstream:
        log = Path(tmp) / "server.log"
        with server(log) as (pid, url):
            fuzz = Fuzzer(url, upstream, args.seed)
            rss_before = rss_kib(pid)
            started = time.perf_counter()
            for number in range(1, args.requests + 1):
                fuzz.one()
                if number % CHECK_EVERY == 0:
                    fuzz.check(pid, reset=number % (CHECK_EVERY * 5) == 0)
            fuzz.check(pid, reset=True)
            for name in fuzz.proxies():
                if (status := fuzz.api.delete(f"/proxies/{fuzz.segment(name)}").status_code) != 204:
                    fuzz.breaks.append(f"DELETE {name!r} answered {status}")
            if fuzz.proxies():
                fuzz.breaks.append("proxies left after deleting every listed one")
            elapsed = time.perf_counter() - started
            rss_after = rss_kib(pid)
            fuzz.api.close()
        text = log.read_text(errors="replace")
    print(f"seed {args.seed}: {fuzz.sent} requests in {elapsed:.1f} s")
    print("answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(fuzz.statuses.items())))
    print(f"500s: {fuzz.listen_500s} with Toxiproxy's deliberate 'listen tcp ...' (bind or lookup failures), "
          f"{len(fuzz.other_500s)} other 5xx")
    for line in fuzz.other_500s[:10]:
        print(f"  {line}")
    print(f"invariant breaks: {len(fuzz.breaks)}")
    for line in fuzz.breaks[:10]:
        print(f"  {line}")
    lines = text.splitlines()
    print(f"server log: {text.count(' ERROR ')} ERROR lines, {text.count('Traceback')} tracebacks, "
          f"{len(lines)} lines at WARNING or above, e.g.:")
    for line in lines[:3]:
        print(f"  {line[:200]}")
    print(f"server RSS: {rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after")
    return 1 if fuzz.other_500s or fuzz.breaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
