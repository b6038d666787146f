"""scripts/bootstrap.sh: the main job installs no browser, and what it says about apt is true.

The script runs for real (bash, flock, its venv check) in a copy of the checkout's layout, with a PATH
that has no chromium. Only `apt-get` and `id` are stand-ins, since a test must not install packages
or need root: `apt-get` records each call and plays the part the scenario needs (a package that
cannot be found; a slow install that holds dpkg's lock, as the real one does, so a second apt-get
fails at once with apt's lock error).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("bash", "env", "dirname", "ls", "tr", "grep", "tail", "cat", "touch", "flock", "sleep", "mkdir",
         "rmdir", "redis-server")

FAKE_APT = r'''#!/bin/bash
# stand-in for apt-get: log the call, then act out $FAKE_APT_MODE
echo "$*" >> "$FAKE_APT_LOG"
case " $* " in *" update "*) exit 0 ;; esac
case "$FAKE_APT_MODE" in
  missing)
    echo "E: Unable to locate package chromium" >&2; exit 100 ;;
  slow)
    if ! mkdir "$FAKE_APT_LOCK" 2>/dev/null; then   # dpkg's frontend lock, held by the other install
      echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
      exit 100
    fi
    sleep 1
    printf '#!/bin/sh\nexit 0\n' > "$FAKE_BIN/chromium"; chmod +x "$FAKE_BIN/chromium"
    rmdir "$FAKE_APT_LOCK"; exit 0 ;;
esac
exit 0
'''


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """scripts/bootstrap.sh in a layout whose venv counts as installed (so pip never runs)."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "bootstrap.sh", root / "scripts" / "bootstrap.sh")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamp = root / ".venv" / ".chaos-installed"
    stamp.touch()
    os.utime(stamp, (2**31, 2**31))   # newer than pyproject.toml
    return root


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH with the tools the script uses, no chromium, a stand-in apt-get and an `id` that says root."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "apt-get").write_text(FAKE_APT)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    for name in ("apt-get", "id"):
        (bin_dir / name).chmod(0o755)
    return bin_dir


def bootstrap(checkout: Path, fake_bin: Path, mode: str, *args: str) -> subprocess.Popen[str]:
    tmp = fake_bin.parent
    env = {"PATH": str(fake_bin), "HOME": str(tmp), "FAKE_APT_MODE": mode, "FAKE_BIN": str(fake_bin),
           "FAKE_APT_LOG": str(tmp / "apt.log"), "FAKE_APT_LOCK": str(tmp / "dpkg.lock"),
           "CHAOS_BOOTSTRAP_LOCK": str(tmp / "bootstrap.lock")}
    return subprocess.Popen(["bash", str(checkout / "scripts" / "bootstrap.sh"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def apt_calls(fake_bin: Path) -> list[str]:
    log = fake_bin.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_the_main_job_installs_no_browser(checkout: Path, fake_bin: Path) -> None:
    code, out = finish(bootstrap(checkout, fake_bin, "slow"))
    assert code == 0, out
    assert apt_calls(fake_bin) == []
    assert out == ""
    assert not (fake_bin / "chromium").exists()


def test_make_experiments_skips_the_browser_and_make_test_asks_for_it() -> None:
    def recipe(goal: str) -> str:
        return subprocess.run(["make", "-n", "-C", str(REPO), goal], capture_output=True, text=True,
                              timeout=30, check=True).stdout

    assert "scripts/bootstrap.sh\n" in recipe("experiments")
    assert "--tests" not in recipe("experiments")
    assert "scripts/bootstrap.sh --tests" in recipe("test")


def test_a_failed_install_quotes_apt(checkout: Path, fake_bin: Path) -> None:
    code, out = finish(bootstrap(checkout, fake_bin, "missing", "--tests"))
    assert code == 0, out
    assert ("bootstrap: could not install chromium (E: Unable to locate package chromium); "
            "the browser test will skip") in out


def test_two_bootstraps_at_once_install_once_and_say_nothing_false(checkout: Path, fake_bin: Path) -> None:
    """The second waits for the first, then finds chromium there: no "could not install"."""
    first = bootstrap(checkout, fake_bin, "slow", "--tests")
    second = bootstrap(checkout, fake_bin, "slow", "--tests")
    (code1, out1), (code2, out2) = finish(first), finish(second)
    assert (code1, code2) == (0, 0), out1 + out2
    both = out1 + out2
    assert "could not install" not in both
    assert both.count("bootstrap: installing chromium with apt-get") == 1
    assert [c for c in apt_calls(fake_bin) if " install " in f" {c} "] == [
        "-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium"]
    assert (fake_bin / "chromium").exists()
