"""Wall time of the whole experiment catalog against the reference service, serial and with
`-n 2`, side by side (the issue's target: under 3 minutes with -n 2).

    .venv/bin/python bench/catalog_time.py [extra pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 1200.0


def timed(args: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "experiments/", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return time.monotonic() - started, lines[-1] if lines else f"exit {done.returncode}"


def main(extra: list[str]) -> int:
    serial_s, serial_out = timed(extra)
    parallel_s, parallel_out = timed(["-n", "2", *extra])
    load = os.getloadavg()[0]
    print(f"{'run':<12} {'wall time':>10}   result")
    print(f"{'serial':<12} {serial_s:>9.1f}s   {serial_out}")
    print(f"{'-n 2':<12} {parallel_s:>9.1f}s   {parallel_out}")
    print(f"speed-up {serial_s / parallel_s:.2f}x; load average {load:.2f} on {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
