"""`chaos up` / `chaos down`: an environment for manual poking, and stopping detached or stale ones."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from chaos.errors import ChaosError

__all__ = ["STATE_DIR_HELP", "default_target", "register", "state_registry"]

_DETACH_TIMEOUT_S = 120.0   # a cold start (initdb) plus a slow SUT fits well inside
TOXIPROXY_PORT = 8474       # what Toxiproxy clients and tutorials expect
STATE_DIR_HELP = ("this checkout's registry of running environments (default: $CHAOS_STATE_DIR, else a "
                  "directory of this checkout's own under $XDG_RUNTIME_DIR or the temp dir; `chaos ls` "
                  "prints it)")


def default_target() -> Path:
    """The reference service's target file in this checkout."""
    return Path(__file__).resolve().parents[2] / "fixtures" / "sut" / "chaos.toml"


def register(subparsers: Any) -> None:
    up: argparse.ArgumentParser = subparsers.add_parser(
        "up", help="start the SUT and its dependencies behind proxies, print their URLs",
        description="Start an environment (local backend) and keep it up until Ctrl-C or SIGTERM; "
                    "with --detach, in the background until `chaos down`.")
    up.add_argument("--target", type=Path, default=None, metavar="FILE",
                    help="target file (default: the reference service, fixtures/sut/chaos.toml)")
    up.add_argument("--sut-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for the SUT, repeatable (e.g. SUT_DEFECTS=no_pool_timeout)")
    up.add_argument("--detach", action="store_true", help="start in the background and return")
    up.add_argument("--proxy-port", type=port_number, default=None, metavar="PORT",
                    help=f"port of the embedded proxy's Toxiproxy API on 127.0.0.1 (default: {TOXIPROXY_PORT}, "
                         "as Toxiproxy clients expect; 0 for a free one)")
    up.add_argument("--state-dir", type=Path, default=None, metavar="DIR", help=STATE_DIR_HELP)
    up.add_argument("--ready-file", type=Path, default=None, metavar="PATH",
                    help="write the environment's id, owner pid and URLs here (JSON, atomically) once it is up")
    up.add_argument("--detached-child", action="store_true", help=argparse.SUPPRESS)  # set by --detach
    up.set_defaults(func=run_up)

    down: argparse.ArgumentParser = subparsers.add_parser(
        "down", help="stop detached environments and reap stale ones",
        description="Stop environments started with `chaos up --detach` and reap those whose owner "
                    "process died. Environments owned by a live foreground process are left alone "
                    "unless --all is given.")
    down.add_argument("--id", dest="env_id", default=None, help="only this environment")
    down.add_argument("--all", action="store_true",
                      help="also stop this checkout's environments of live foreground owners")
    down.add_argument("--state-dir", type=Path, default=None, metavar="DIR", help=STATE_DIR_HELP)
    down.set_defaults(func=run_down)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0..65535 (0: let the OS choose)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return port


def state_registry(state_dir: Path | None) -> Any:
    """The registry of `--state-dir`, or of this checkout's state dir."""
    from chaos.env.registry import Registry
    from chaos.env.state import default_state_dir

    return Registry(state_dir or default_state_dir(os.environ))


def _proxy_port(args: argparse.Namespace) -> int:
    """--proxy-port, else 8474, for the embedded proxy (0: none to place, or a free one); a taken port
    is one line with the way out, before anything starts."""
    from chaos.env.ports import check_port_free
    from chaos.errors import PortUnavailable

    if os.environ.get("TOXIPROXY_URL"):
        if args.proxy_port is not None:
            raise ChaosError(f"--proxy-port {args.proxy_port}: TOXIPROXY_URL is set, so no embedded proxy is "
                             "started (unset it to run one)")
        return 0
    port = TOXIPROXY_PORT if args.proxy_port is None else int(args.proxy_port)
    if port:
        try:
            check_port_free(port, what="the proxy API")
        except PortUnavailable as exc:
            raise PortUnavailable(what=exc.what, host=exc.host, port=exc.port, problem=exc.problem,
                                  hint="--proxy-port N chooses another, --proxy-port 0 a free one") from None
    return port


def _sut_env(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ChaosError(f"--sut-env {item!r}: expected NAME=VALUE")
        env[name] = value
    return env


def run_up(args: argparse.Namespace) -> int:
    from chaos.targetfile import load_target

    target = load_target(args.target or default_target())   # a broken file is told here, --detach or not
    if args.detach:
        return _detach(args)
    from chaos.env.local import LocalBackend
    from chaos.env.signals import SigtermAsInterrupt

    sut_env = _sut_env(args.sut_env)
    detached = bool(args.detached_child)
    port = _proxy_port(args)
    backend = LocalBackend(registry=state_registry(args.state_dir), detached=detached, proxy_api_port=port)
    with SigtermAsInterrupt(replace=True):   # `chaos up` owns its process
        try:
            env = backend.start(target, worker_id="up", sut_env=sut_env)
        except KeyboardInterrupt:
            print("chaos up: interrupted while starting; everything started was stopped", file=sys.stderr)
            return 130
        try:
            for line in env.reaped:
                print(f"reaped: {line}")
            urls = env.urls()
            print(f"environment {env.env_id} is up in {env.startup_times.get('total', 0):.2f} s "
                  f"(work dir {env.workdir})")
            if env.template_note:
                print(f"  {env.template_note}")
            width = max(len(k) for k in urls)
            for key, url in urls.items():
                print(f"  {key:<{width}}  {url}")
            if args.ready_file is not None:
                _write_atomically(args.ready_file, json.dumps(
                    {"env_id": env.env_id, "owner_pid": os.getpid(), "urls": urls, "note": env.template_note},
                    indent=2))
            if not detached:
                print("Ctrl-C to stop.", flush=True)
            sys.stdout.flush()
            _watch(env)
        except KeyboardInterrupt:
            print("\nchaos up: stopping...", file=sys.stderr)
        finally:
            with _interrupts_deferred():
                env.close()
    print("chaos up: stopped; nothing left behind", file=sys.stderr)
    return 0


def _watch(env: Any) -> None:
    """Stay in the foreground until interrupted, saying once if the SUT exits on its own."""
    reported = False
    while True:
        time.sleep(1.0)   # woken early by SIGINT/SIGTERM, which raise KeyboardInterrupt
        if not reported and not env.sut.is_alive():
            print(f"chaos up: the SUT exited with code {env.sut.exit_code()}; see {env.sut.log_path}",
                  file=sys.stderr, flush=True)
            reported = True


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """While closing, a second Ctrl-C or SIGTERM must not cut the clean-up short: say so instead."""
    def still_stopping(signum: int, frame: FrameType | None) -> None:
        print("chaos up: still stopping, please wait (bounded by each part's grace period)",
              file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, still_stopping) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _detach(args: argparse.Namespace) -> int:
    """Run `chaos up` as a session leader in the background; print its URLs once it is up (and write
    them to --ready-file, as the foreground `chaos up` does)."""
    from chaos.env.readiness import log_tail

    state = state_registry(args.state_dir).root
    (state / "logs").mkdir(parents=True, exist_ok=True)
    log_path = state / "logs" / f"up-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    ready = Path(tempfile.mkdtemp(prefix="chaos-up-")) / "ready.json"
    argv = [sys.executable, "-m", "chaos", "up", "--detached-child", "--state-dir", str(state),
            "--ready-file", str(ready)]
    port = _proxy_port(args)   # checked here, so a conflicting option fails before anything starts
    if not os.environ.get("TOXIPROXY_URL"):   # (with it, the child has no embedded proxy to place)
        argv += ["--proxy-port", str(port)]
    if args.target is not None:
        argv += ["--target", str(args.target.resolve())]
    for item in args.sut_env:
        argv += ["--sut-env", item]
    with log_path.open("ab") as log:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    deadline = time.monotonic() + _DETACH_TIMEOUT_S
    try:
        while not ready.is_file():
            if child.poll() is not None:
                raise ChaosError(f"the background `chaos up` exited with code {child.returncode}:\n"
                                 f"{log_tail(log_path)}")
            if time.monotonic() >= deadline:
                child.send_signal(signal.SIGTERM)
                raise ChaosError(f"the background `chaos up` was not up after {_DETACH_TIMEOUT_S:g} s "
                                 f"(stopped it); log: {log_path}")
            time.sleep(0.1)
        text = ready.read_text()
        info = json.loads(text)
    finally:
        ready.unlink(missing_ok=True)
        ready.parent.rmdir()
    if args.ready_file is not None:
        _write_atomically(args.ready_file, text)
    print(f"environment {info['env_id']} is up in the background (pid {child.pid}, log {log_path})")
    if info.get("note"):
        print(f"  {info['note']}")
    width = max(len(k) for k in info["urls"])
    for key, url in info["urls"].items():
        print(f"  {key:<{width}}  {url}")
    print("stop it with: chaos down" + (f" --state-dir {args.state_dir}" if args.state_dir else ""))
    return 0


def run_down(args: argparse.Namespace) -> int:
    from chaos.env.registry import wait_record_gone

    registry = state_registry(args.state_dir)
    found = 0
    for record in registry.records():
        if args.env_id and record.env_id != args.env_id:
            continue
        found += 1
        if not record.owner_alive():
            for line in registry.reap(record):
                print(f"reaped (owner {record.owner_pid} is gone): {line}")
            continue
        if not (record.detached or args.all):
            print(f"left alone: {record.env_id}, owned by live process {record.owner_pid} "
                  "(not detached; --all stops it too)")
            continue
        os.kill(record.owner_pid, signal.SIGTERM)   # the owner closes it in order, as on Ctrl-C
        if wait_record_gone(registry, record.env_id, timeout_s=30.0):
            print(f"stopped {record.env_id} (owner pid {record.owner_pid})")
            continue
        if record.owner_alive():
            os.kill(record.owner_pid, signal.SIGKILL)
        for line in registry.reap(record):
            print(f"owner {record.owner_pid} did not stop in 30 s; reaped: {line}")
    if args.env_id and not found:
        raise ChaosError(f"no environment {args.env_id!r} in {registry.envs}")
    if not found:
        print(f"no environments in {registry.envs}")
    return 0
