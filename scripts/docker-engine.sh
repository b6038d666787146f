#!/usr/bin/env bash
# A private Docker engine and the suite's local images, for tests and CI on machines without a registry.
#
#   scripts/docker-engine.sh start    install what is missing, run an isolated dockerd, print DOCKER_HOST=...
#   scripts/docker-engine.sh images   build (cached) the base image and the images docker-compose.chaos.yml
#                                     needs; prints the CHAOS_*_IMAGE overrides (starts the engine if needed)
#   scripts/docker-engine.sh base     build only the debootstrapped base image (cached), part of `images`
#   scripts/docker-engine.sh env      print `export` lines for DOCKER_HOST and the image overrides
#   scripts/docker-engine.sh status   say whether the engine answers
#   scripts/docker-engine.sh stop     stop the dockerd started by `start` (by the PID in its pidfile only)
#
# Why so particular: the CI machines (Debian bookworm VMs, root, no registry) shape every choice here.
# - Nothing can be pulled: the base image is debootstrapped and imported, builds run with --pull=false
#   and `images` prints the overrides that point Compose at the local tags; pip inside a build installs wheels downloaded on the
#   host (--no-index), since containers here have no route to PyPI.
# - No bridge network (--bridge=none): containers and builds use the host network and bind 127.0.0.1.
# - The daemon must not touch iptables, IP forwarding or any engine someone else runs: its own data
#   root, exec root, socket, pidfile and cgroup parent, and it is stopped by the PID in its pidfile only;
#   a stopped dockerd leaves its netns mount and empty cgroup folders, which `stop` removes.
# - A minbase system lacks libssl3, libsqlite3-0 and libffi8: Python's ssl, sqlite3 and ctypes need them.
# Everything it stores (images, layers, downloaded wheels and .debs) lives under
# CHAOS_DOCKER_CACHE so a second run on the same machine is fast; its runtime files live under
# CHAOS_DOCKER_RUN. Diagnostics go to stderr; stdout carries only what callers evaluate.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE_DIR=${CHAOS_DOCKER_CACHE:-/var/cache/chaos-suite/docker}
RUN_DIR=${CHAOS_DOCKER_RUN:-/run/chaos-suite/docker}
CGROUP_NAME=${CHAOS_DOCKER_CGROUP:-chaos-suite-docker}
START_TIMEOUT_S=${CHAOS_DOCKER_START_TIMEOUT_S:-30}
STOP_TIMEOUT_S=${CHAOS_DOCKER_STOP_TIMEOUT_S:-60}
DEBIAN_MIRROR=${CHAOS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${CHAOS_HOST_PYTHON:-$REPO/.venv/bin/python}

SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/dockerd.pid
LOG=$RUN_DIR/dockerd.log
DOCKER_HOST_URL=unix://$SOCK
# Debian's CLI (20.10) matches the daemon and still has the classic builder; a newer CLI earlier on PATH
# would insist on buildx, which is not installed here.
DOCKER_CLI=/usr/bin/docker

BASE_IMAGE=chaos-suite/base:bookworm
TAG=local
INPUTS_LABEL=org.chaos-suite.inputs
# What the base image holds: the servers the local postgres/redis images run, and a Python 3.11 with
# the shared libraries a minbase system lacks (ssl, sqlite3 and ctypes fail to import without them).
BASE_PACKAGES=postgresql-15,redis-server,python3,python3-venv,libssl3,libsqlite3-0,libffi8,ca-certificates,procps

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (it installs packages and runs dockerd)"
}

docker_() { DOCKER_HOST=$DOCKER_HOST_URL "$DOCKER_CLI" "$@"; }

engine_answers() {
  [ -S "$SOCK" ] && [ -x "$DOCKER_CLI" ] && docker_ version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# The PID in our pidfile, if it is a live dockerd (a stale file may name a recycled PID: never signal that).
our_dockerd_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 && [ -x "$DOCKER_CLI" ] || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "please install ${missing[*]} (no apt-get here)"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

cmd_start() {
  need_root
  ensure_packages
  if engine_answers; then
    log "engine already answers on $DOCKER_HOST_URL"
    echo "DOCKER_HOST=$DOCKER_HOST_URL"
    return 0
  fi
  if ! our_dockerd_pid >/dev/null; then
    mkdir -p "$CACHE_DIR/data" "$RUN_DIR/exec"
    rm -f "$PIDFILE" "$SOCK"
    log "starting dockerd (data root $CACHE_DIR/data, log $LOG)"
    # setsid: the daemon outlives this script and is not hit by the caller's Ctrl-C.
    setsid dockerd \
      --data-root "$CACHE_DIR/data" \
      --exec-root "$RUN_DIR/exec" \
      --pidfile "$PIDFILE" \
      -H "$DOCKER_HOST_URL" \
      --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
      --storage-driver overlay2 \
      --cgroup-parent "/$CGROUP_NAME" \
      >>"$LOG" 2>&1 </dev/null &
  fi
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until engine_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "dockerd did not answer on $DOCKER_HOST_URL within ${START_TIMEOUT_S}s; last lines of $LOG:"
      tail -n 20 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  log "engine answers on $DOCKER_HOST_URL (dockerd PID $(cat "$PIDFILE"))"
  echo "DOCKER_HOST=$DOCKER_HOST_URL"
}

cmd_stop() {
  need_root
  local pid
  if pid=$(our_dockerd_pid); then
    log "stopping dockerd PID $pid (its containers are stopped first)"
    kill -TERM "$pid"
    local deadline=$((SECONDS + STOP_TIMEOUT_S))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "dockerd PID $pid still alive after ${STOP_TIMEOUT_S}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  else
    log "no dockerd of ours is running (pidfile $PIDFILE)"
  fi
  # The containerd that dockerd started for itself, in case dockerd had to be killed (same rule: by its
  # own pidfile, and only if it is a containerd).
  local cpid_file=$RUN_DIR/exec/containerd/containerd.pid cpid
  if [ -f "$cpid_file" ]; then
    cpid=$(cat "$cpid_file" 2>/dev/null || true)
    if [[ "$cpid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = containerd ]; then
      log "stopping the containerd left by dockerd, PID $cpid"
      kill -TERM "$cpid" 2>/dev/null || true
    fi
  fi
  # Leftovers a stopped dockerd leaves behind (seen on every stop here): its netns mount and empty cgroup folders.
  if mountpoint -q "$RUN_DIR/exec/netns/default" 2>/dev/null; then
    umount "$RUN_DIR/exec/netns/default" || log "could not unmount $RUN_DIR/exec/netns/default"
  fi
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_NAME"; do
    [ -d "$d" ] || continue
    # Deepest first; rmdir refuses a cgroup that still has tasks or children, which is what we want.
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -f "$PIDFILE"
}

cmd_status() {
  if engine_answers; then
    echo "engine answers on $DOCKER_HOST_URL (server $(docker_ version --format '{{.Server.Version}}'))"
  else
    echo "no engine answers on $DOCKER_HOST_URL"
    return 1
  fi
}

# --- images -----------------------------------------------------------------------------------------

image_label() {  # image -> its inputs label, empty if the image is missing
  docker_ image inspect --format "{{ index .Config.Labels \"$INPUTS_LABEL\" }}" "$1" 2>/dev/null || true
}

hash_text() { sha256sum | cut -c1-16; }

# Files under the given paths (relative to $1), hashed by content and name, in a stable order.
hash_tree() {   # hash_tree ROOT PATH... [find tests that exclude, e.g. ! -path './x/*']
  local root=$1; shift
  (cd "$root" && find "$@" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z \
     | xargs -0 sha256sum) | hash_text
}

build_base() {
  local want have rootfs
  want=$(printf 'bookworm minbase %s %s v1' "$BASE_PACKAGES" "$DEBIAN_MIRROR" | hash_text)
  have=$(image_label "$BASE_IMAGE")
  if [ "$have" = "$want" ]; then
    log "$BASE_IMAGE is up to date"
    return 0
  fi
  rootfs=$CACHE_DIR/rootfs.tmp
  rm -rf "$rootfs"
  mkdir -p "$CACHE_DIR/debs"
  log "debootstrap --variant=minbase bookworm (packages: $BASE_PACKAGES)"
  # --cache-dir keeps the downloaded .debs, so a rebuild on this machine does not fetch them again.
  debootstrap --variant=minbase --include="$BASE_PACKAGES" --cache-dir="$CACHE_DIR/debs" \
    bookworm "$rootfs" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
  # Packages installed later in a build must not try to start services.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # postgresql-15's postinst made a default cluster we never use; drop it to keep the image small.
  rm -rf "$rootfs/var/lib/postgresql/15/main" "$rootfs/etc/postgresql/15/main"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "docker import $BASE_IMAGE"
  tar -C "$rootfs" -c . | docker_ import \
    --change "LABEL $INPUTS_LABEL=$want" \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# Wheels for every runtime dependency (and the build backend), downloaded on the host once per pyproject:
# containers here cannot reach PyPI (no CA bundle, no route), so builds install with --no-index.
ensure_wheels() {
  local key dir pyver
  # Markers depend on the exact interpreter (redis needs async-timeout below 3.11.3): resolve for the
  # base image's Python, not the host's.
  pyver=$(docker_ run --rm --network none "$BASE_IMAGE" python3 -c 'import platform; print(platform.python_version())')
  [ -x "$PYTHON" ] || die "no Python at $PYTHON to read pyproject.toml and download wheels (set CHAOS_HOST_PYTHON)"
  local reqs
  # The runtime dependencies and the build backend (pip builds /src with it, offline): keyed on this
  # list and the image's Python, so editing other parts of pyproject.toml reuses the wheels.
  reqs=$("$PYTHON" -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
print("\n".join([*data["project"]["dependencies"], *data["build-system"]["requires"], "wheel"]))
' "$REPO/pyproject.toml")
  key=$(printf '%s\n%s\n' "$reqs" "$pyver" | hash_text)
  dir=$CACHE_DIR/wheels/$key
  if [ -f "$dir/.complete" ]; then
    echo "$dir"
    return 0
  fi
  log "downloading wheels for pyproject.toml's dependencies into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$reqs" >"$dir/requirements.txt"
  "$PYTHON" -m pip wheel -q --disable-pip-version-check -w "$dir" -r "$dir/requirements.txt" >&2
  # The host resolved for its own interpreter; markers can pull in more for the image's (pip's
  # --python-version does not apply to markers). Ask the image's pip what it misses, offline, and fetch
  # that, a bounded number of rounds.
  local round missing
  for round in 1 2 3 4 5 6 7 8; do
    missing=$(docker_ run --rm --network none -v "$dir:/wheels:ro" "$BASE_IMAGE" sh -c \
      'python3 -m venv /tmp/v && /tmp/v/bin/pip install -q --dry-run --no-index --find-links /wheels -r /wheels/requirements.txt 2>&1' \
      | sed -n 's/^ERROR: No matching distribution found for \([^;]*\).*/\1/p' | head -n 1) || true
    [ -z "$missing" ] && break
    log "the image's Python $pyver also needs $missing (round $round)"
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$dir" "$missing" >&2
  done
  [ -z "$missing" ] || die "wheels for the image's Python $pyver still miss $missing"
  touch "$dir/.complete"
  # Wheels of earlier dependency lists are not needed again.
  find "$CACHE_DIR/wheels" -mindepth 1 -maxdepth 1 -type d ! -path "$dir" -exec rm -rf {} +
  echo "$dir"
}

# The build context: the repository's sources the images need, plus the wheels, and nothing else (the
# classic builder would otherwise upload .venv to the daemon).
stage_context() {
  local wheels=$1 ctx=$CACHE_DIR/context
  rm -rf "$ctx"
  mkdir -p "$ctx"
  local paths=(pyproject.toml chaos docker)
  [ -f "$REPO/README.md" ] && paths+=(README.md)
  [ -d "$REPO/fixtures" ] && paths+=(fixtures)
  tar -C "$REPO" -c --exclude=__pycache__ --exclude='*.pyc' --exclude='docker/wheels/*.whl' "${paths[@]}" \
    | tar -C "$ctx" -x
  mkdir -p "$ctx/docker/wheels"
  cp -l "$wheels"/*.whl "$ctx/docker/wheels/" 2>/dev/null || cp "$wheels"/*.whl "$ctx/docker/wheels/"
  echo "$ctx"
}

# build NAME DOCKERFILE CONTEXT INPUTS_HASH [extra docker build args...]
build_image() {
  local name=$1 dockerfile=$2 ctx=$3 want=$4; shift 4
  local image=chaos-suite/$name:$TAG have
  have=$(image_label "$image")
  if [ "$have" = "$want" ]; then
    log "$image is up to date"
    return 0
  fi
  local build_log=$CACHE_DIR/build-$name.log
  log "building $image (log: $build_log)"
  docker_ build --network host --pull=false --force-rm \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --label "$INPUTS_LABEL=$want" \
    -f "$ctx/$dockerfile" -t "$image" "$@" "$ctx" >"$build_log" 2>&1 \
    || { tail -n 30 "$build_log" >&2; die "docker build of $image failed (log: $build_log)"; }
}

print_image_env() {
  local prefix=${1:-}
  echo "${prefix}CHAOS_POSTGRES_IMAGE=chaos-suite/postgres:$TAG"
  echo "${prefix}CHAOS_REDIS_IMAGE=chaos-suite/redis:$TAG"
  echo "${prefix}CHAOS_TOXIPROXY_IMAGE=chaos-suite/toxiproxy:$TAG"
  echo "${prefix}CHAOS_UPSTREAM_IMAGE=chaos-suite/upstream:$TAG"
  echo "${prefix}CHAOS_SUT_IMAGE=chaos-suite/sut:$TAG"
  echo "${prefix}CHAOS_NODE_SUT_IMAGE=chaos-suite/node-sut:$TAG"
}

cmd_images() {
  need_root
  cmd_start >/dev/null
  build_base
  local base_id wheels ctx py_inputs
  base_id=$(docker_ image inspect --format '{{.Id}}' "$BASE_IMAGE")
  wheels=$(ensure_wheels)
  # The Node service's packages come from the host's `npm ci` (setup.sh), before the context is staged.
  "$REPO/fixtures/node-sut/setup.sh" || die "fixtures/node-sut/setup.sh failed: the Node image needs its node_modules"
  ctx=$(stage_context "$wheels")
  # One hash over everything the Python images are built from (the Node service's folder aside: it has
  # its own image); each image adds its Dockerfile's name.
  py_inputs=$(printf '%s %s' "$base_id" "$(hash_tree "$ctx" . ! -path './fixtures/node-sut/*')" | hash_text)
  build_image postgres docker/postgres.Dockerfile "$ctx" \
    "$(printf '%s %s' "$base_id" "$(hash_tree "$ctx" docker/postgres.Dockerfile docker/postgres)" | hash_text)"
  build_image redis docker/redis.Dockerfile "$ctx" \
    "$(printf '%s %s' "$base_id" "$(hash_tree "$ctx" docker/redis.Dockerfile)" | hash_text)"
  local pip_args="--no-index --find-links /wheels"
  build_image toxiproxy docker/proxy.Dockerfile "$ctx" "$(echo "proxy $py_inputs" | hash_text)" \
    --build-arg "PIP_INSTALL_ARGS=$pip_args"
  build_image upstream docker/upstream.Dockerfile "$ctx" "$(echo "upstream $py_inputs" | hash_text)" \
    --build-arg "PIP_INSTALL_ARGS=$pip_args"
  build_image sut docker/sut.Dockerfile "$ctx" "$(echo "sut $py_inputs" | hash_text)" \
    --build-arg "PIP_INSTALL_ARGS=$pip_args"
  build_image node-sut docker/node-sut.Dockerfile "$ctx" \
    "$(printf '%s %s' "$base_id" "$(hash_tree "$ctx" docker/node-sut.Dockerfile fixtures/node-sut)" | hash_text)"
  # Dangling layers from earlier builds of the same tags pile up in the cache otherwise.
  docker_ image prune -f >/dev/null || true
  print_image_env
}

cmd_env() {
  echo "export DOCKER_HOST=$DOCKER_HOST_URL"
  print_image_env "export "
}

case "${1:-}" in
  start) cmd_start ;;
  base) need_root; cmd_start >/dev/null; build_base ;;
  stop) cmd_stop ;;
  images) cmd_images ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|images|base|env|status|stop" >&2; exit 2 ;;
esac
