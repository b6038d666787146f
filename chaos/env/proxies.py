"""The Toxiproxy server an environment's proxies live on, and one proxy per dependency.

By default each environment runs the embedded server as a subprocess of its own
(`python -m chaos proxy --port 0 --ready-file F`); with a Toxiproxy URL (TOXIPROXY_URL) it uses that
server instead and only creates and deletes its own proxies there. Proxy names carry the
environment id (worker id + random suffix), so pytest-xdist workers sharing one real Toxiproxy never
touch each other's proxies.
"""

from __future__ import annotations

import threading
from pathlib import Path

from chaos.env.base import Endpoint
from chaos.env.ports import LOOPBACK, check_port_free
from chaos.env.process import ManagedProcess
from chaos.env.readiness import wait_process_ready
from chaos.env.registry import Tracker
from chaos.errors import ToxiproxyApiError
from chaos.proxy.client import ToxiproxyClient

__all__ = ["ProxyServer", "parse_endpoint"]


def parse_endpoint(address: str) -> Endpoint:
    """`host:port` (as Toxiproxy reports a listener) -> Endpoint."""
    host, _, port = address.rpartition(":")
    return Endpoint(host=host.strip("[]") or LOOPBACK, port=int(port))


class ProxyServer:
    """Where the environment's proxies live. `client` and `url` are valid once `start()` returned."""

    def __init__(self, *, external_url: str | None, dir: Path, python: str, tracker: Tracker,
                 seed: int | None = None, api_port: int = 0) -> None:
        self.external = external_url is not None
        self.api_port = api_port   # of the embedded server; 0: a free one
        self.url = external_url or ""
        self.dir = dir
        self.python = python
        self.seed = seed
        self.log_path = dir / "proxy.log"
        self.ready_file = dir / "proxy.ready"
        self.tracker = tracker
        self._proc: ManagedProcess | None = None
        self._client: ToxiproxyClient | None = None
        self._names: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def client(self) -> ToxiproxyClient:
        if self._client is None:
            raise RuntimeError("the proxy server is not started")
        return self._client

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the embedded server (or check the external one answers); blocks until usable."""
        if not self.external:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.ready_file.unlink(missing_ok=True)
            # --metrics: live byte counters, which fault receipts use as proof that a toxic bit
            if self.api_port:
                check_port_free(self.api_port, what="the proxy API")
            argv = [self.python, "-m", "chaos", "proxy", "--host", LOOPBACK, "--port", str(self.api_port),
                    "--metrics", "--ready-file", str(self.ready_file)]
            if self.seed is not None:
                argv += ["--seed", str(self.seed)]
            proc = ManagedProcess.start(
                argv,
                label="embedded toxiproxy", log_path=self.log_path, on_start=self.tracker.process_started)
            self._proc = proc
            wait_process_ready(proc, lambda: self.ready_file.is_file() and bool(self.ready_file.read_text()),
                               name="embedded toxiproxy", timeout_s=timeout_s)
            self.url = f"http://{self.ready_file.read_text().strip()}"
        self._client = ToxiproxyClient(self.url)
        self._client.version()   # fails here, not later, when the server does not answer

    def create(self, name: str, upstream: Endpoint, *, listen: Endpoint | None = None) -> Endpoint:
        """Create proxy `name` to `upstream` on loopback (port from the OS unless `listen` is given);
        returns the resolved listen address. A leftover proxy of the same name is replaced."""
        client = self.client
        listen_at = listen.address if listen else f"{LOOPBACK}:0"
        try:
            info = client.create_proxy(name, upstream=upstream.address, listen=listen_at)
        except ToxiproxyApiError as exc:
            if exc.status != 409:
                raise
            client.delete_proxy(name)
            info = client.create_proxy(name, upstream=upstream.address, listen=listen_at)
        with self._lock:
            if name not in self._names:
                self._names.append(name)
        return parse_endpoint(info.listen)

    def close(self) -> None:
        """Delete our proxies (on a real Toxiproxy), close the client, reap the embedded server.

        Idempotent; an interrupted close can be repeated."""
        if self._closed:
            return
        try:
            if self._client is not None and self.external:
                for name in list(self._names):
                    try:
                        self._client.delete_proxy(name)
                    except ToxiproxyApiError as exc:
                        if exc.status != 404:
                            raise
                    self._names.remove(name)
        finally:
            if self._client is not None:
                self._client.close()
            if self._proc is not None:
                self._proc.reap(grace_s=5.0)
        self._closed = True
