#!/usr/bin/env bash
# Install what the suite needs on a fresh Debian/Ubuntu machine (idempotent, quiet when all is there):
# Redis and PostgreSQL server binaries from the distribution, then a venv with the package and its dev extra.
#
#   scripts/bootstrap.sh          what the main job needs (`make experiments`)
#   scripts/bootstrap.sh --tests  also what the suite's tests need (`make test`): Debian's chromium, for the
#                                 test that opens the HTML report headless (it skips without it), and the
#                                 reference services of other stacks (fixtures/*/setup.sh: their own
#                                 virtualenv or node_modules, from pinned requirements and lockfiles)
set -euo pipefail
cd "$(dirname "$0")/.."

tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    *) echo "bootstrap: unknown argument $arg (known: --tests)" >&2; exit 2 ;;
  esac
done

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# apt_install PKG...: install with apt-get, quietly; on failure return 1 with apt's last error line in
# $apt_error, for the caller to print if the package is still missing.
# Two bootstraps at once (two checkouts, `make test` beside `make experiments`) used to collide on the
# dpkg lock: the second one's apt-get failed at once, and it said "could not install chromium" while
# the first was installing it. So bootstraps queue on a lock of their own, each re-checks what is
# missing once it holds it, and apt waits for a dpkg lock held by anyone else.
APT_LOCK_TIMEOUT_S=600
apt_error=""
apt_install() {
  local out
  if out=$({ apt-get -o DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_S update -qq \
             && apt-get -o DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_S install -y -qq --no-install-recommends "$@"
           } 2>&1 >/dev/null); then
    return 0
  fi
  apt_error=$(printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 1)
  apt_error=${apt_error:-$(printf '%s\n' "$out" | tail -n 1)}
  return 1
}

# The machine-wide lock bootstraps queue on (CHAOS_BOOTSTRAP_LOCK overrides it, for tests).
lock_file=${CHAOS_BOOTSTRAP_LOCK:-/run/lock/chaos-suite-bootstrap.lock}
with_apt_lock() {
  command -v flock >/dev/null 2>&1 || return 0   # util-linux; without it, apt's own lock wait remains
  exec 9>"$lock_file"
  if ! flock -w "$APT_LOCK_TIMEOUT_S" 9; then
    echo "bootstrap: another bootstrap held $lock_file for ${APT_LOCK_TIMEOUT_S} s" >&2
    exit 1
  fi
}

missing_servers() {
  command -v redis-server >/dev/null 2>&1 || echo redis-server
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || echo postgresql
}

export DEBIAN_FRONTEND=noninteractive
need_pkgs=$(missing_servers | tr '\n' ' ')
if [ -n "$need_pkgs" ]; then
  if ! can_apt; then
    echo "bootstrap: please install ${need_pkgs% } (e.g. sudo apt-get install ${need_pkgs% })" >&2
    exit 1
  fi
  with_apt_lock
  need_pkgs=$(missing_servers | tr '\n' ' ')
  if [ -n "$need_pkgs" ]; then
    echo "bootstrap: installing ${need_pkgs% } with apt-get" >&2
    # shellcheck disable=SC2086  # one word per package
    if ! apt_install $need_pkgs; then
      echo "bootstrap: apt-get install ${need_pkgs% } failed: $apt_error" >&2
      exit 1
    fi
  fi
fi

if [ "$tests" = 1 ] && ! command -v chromium >/dev/null 2>&1 && can_apt; then
  with_apt_lock
  if ! command -v chromium >/dev/null 2>&1; then
    echo "bootstrap: installing chromium with apt-get (for the report's browser test)" >&2
    if ! apt_install chromium && ! command -v chromium >/dev/null 2>&1; then
      echo "bootstrap: could not install chromium ($apt_error); the browser test will skip" >&2
    fi
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.chaos-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
  touch "$stamp"
fi

# The reference services of other stacks bring their own dependencies (each setup.sh is idempotent and
# quiet when all is there); only the tests and the matrix run them.
if [ "$tests" = 1 ]; then
  for setup in fixtures/*/setup.sh; do
    [ -f "$setup" ] || continue
    if ! bash "$setup"; then
      echo "bootstrap: $setup failed; the tests of that service will fail to load its target file" >&2
      exit 1
    fi
  done
fi
