"""Wall time of the whole experiment catalog per reference service, serial and with `-n 2`, side by
side (the reference service's target: under 3 minutes with -n 2).

    .venv/bin/python bench/catalog_time.py [--target FILE ...] [-- extra pytest arguments]

Without --target: the three reference services (fixtures/sut, fixtures/node-sut, fixtures/django-sut).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 1800.0
SERVICES = ("fixtures/sut/chaos.toml", "fixtures/node-sut/chaos.toml", "fixtures/django-sut/chaos.toml")


def timed(args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "experiments/", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return time.monotonic() - started, lines[-1] if lines else f"exit {done.returncode}"


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    targets = [own[i + 1] for i, a in enumerate(own) if a == "--target"] or list(SERVICES)
    print(f"{'service':<34} {'serial':>9} {'-n 2':>9} {'speed-up':>9}   results (serial | -n 2)")
    for target in targets:
        serial_s, serial_out = timed(["--chaos-target", target, *extra])
        parallel_s, parallel_out = timed(["--chaos-target", target, "-n", "2", *extra])
        print(f"{target:<34} {serial_s:>8.1f}s {parallel_s:>8.1f}s {serial_s / parallel_s:>8.2f}x   "
              f"{serial_out} | {parallel_out}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
