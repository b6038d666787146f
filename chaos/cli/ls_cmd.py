"""`chaos ls`: this checkout's environments, their owners and URLs, from the registry."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from chaos.cli.env_cmd import STATE_DIR_HELP, state_registry

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "ls", help="list this checkout's environments: id, owner pid, URLs",
        description="List the environments this checkout started (`chaos up`, pytest runs) with the "
                    "process that owns each and the URLs of the service, the proxy API and every "
                    "dependency (proxied and direct). An environment whose owner died is marked; "
                    "`chaos down` reaps it.")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR", help=STATE_DIR_HELP)
    parser.add_argument("--json", action="store_true", help="print a JSON list instead (the same fields)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    registry = state_registry(args.state_dir)
    records = list(registry.records())
    if args.json:
        print(json.dumps([{"env_id": r.env_id, "owner_pid": r.owner_pid, "owner_alive": r.owner_alive(),
                           "detached": r.detached, "created": r.created, "workdir": r.workdir, "urls": r.urls}
                          for r in records], indent=2))
        return 0
    if not records:
        print(f"no environments in {registry.envs}")
        return 0
    print(f"environments of this checkout ({registry.envs}):")
    for record in records:
        owner = f"owner pid {record.owner_pid}"
        if not record.owner_alive():
            owner += " (gone: `chaos down` reaps what it left)"
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created)) if record.created else "?"
        kind = "detached" if record.detached else "foreground"
        print(f"{record.env_id}  {owner}, {kind}, since {since}")
        if not record.urls:
            print("  (still starting: no URLs yet)")
        width = max((len(k) for k in record.urls), default=0)
        for key, url in record.urls.items():
            print(f"  {key:<{width}}  {url}")
    return 0
