"""The HTML report opened in a real browser (Debian's headless chromium): screenshot, and the laid-out page."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed: run scripts/bootstrap.sh as root, or `sudo apt-get install chromium`",
)
BROWSER_TIMEOUT_S = 90     # a cold headless start takes ~3 s here; generous for a loaded 2-core machine
BLANK_PNG_BYTES = 12_653   # measured: chromium's 1400x2000 screenshot of an empty page


def _chromium(page: Path, tmp_path: Path) -> tuple[str, Path]:
    """Open `page` headless; returns the DOM after scripts ran, and the screenshot's path."""
    assert CHROMIUM is not None
    shot = tmp_path / "report.png"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2000", f"--screenshot={shot}",
         "--dump-dom", page.as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )
    try:
        dom, _ = proc.communicate(timeout=BROWSER_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        else:
            # chromium's helper processes share its group: make sure none outlives it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"chromium exited with {proc.returncode}"
    return dom, shot


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@needs_chromium
def test_report_renders_in_headless_chromium(catalog_run: Any, tmp_path: Path) -> None:
    assert catalog_run.returncode == 0, catalog_run.output
    dom, shot = _chromium(catalog_run.report_dir / "index.html", tmp_path)

    # the screenshot: the window's size, and far more content than an empty page compresses to
    assert _png_size(shot) == (1400, 2000)
    assert shot.stat().st_size > 5 * BLANK_PNG_BYTES

    # the page's own script ran after layout and recorded what the browser drew
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    assert 'data-timelines-drawn="1"' in body.group(0)
    size = re.search(r'data-scorecard-size="(\d+)x(\d+)"', body.group(0))
    assert size is not None
    assert int(size.group(1)) > 600
    assert int(size.group(2)) > 50
    drawn = re.search(r'<svg[^>]*class="timeline"[^>]*data-drawn="(\d+)x(\d+)"', dom)
    assert drawn is not None
    assert int(drawn.group(1)) >= 1000
    assert int(drawn.group(2)) > 300

    # with the run's real data: the readiness row, its requests, the fault and the probe strips
    assert re.search(r'<tr[^>]*data-outcome="passed"[^>]*data-contract="readiness"', dom)
    requests = int(re.search(r'data-requests="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    assert requests > 0
    assert dom.count('class="pt s2xx"') == requests
    assert 'data-fault="unreachable(postgres)"' in dom
    assert dom.count('class="probe bad"') > 0        # 'ready' answered 503 during the fault
    assert dom.count('class="heal"') == 1
