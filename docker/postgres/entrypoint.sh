#!/bin/sh
# Initialise a cluster on first start (like the official image's entrypoint), then exec the server as
# the postgres user so it is the container's main process and receives its signals directly.
#
# The image already holds a cluster initialised at build time for app/app/app (the suite's default),
# which saves the ~4 s of initdb on every environment start; other credentials re-initialise it.
# `docker-entrypoint.sh --init-only` initialises and exits (used by the image build).
set -eu
init_cluster() {
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  want=$(printf '%s\n' "$user" "${POSTGRES_PASSWORD:-}" "$db" | sha256sum | cut -c1-16)
  marker=$PGDATA/.chaos-credentials
  if [ -s "$PGDATA/PG_VERSION" ]; then
    # a cluster from elsewhere (a mounted volume) is used as it is, like the official image does
    [ -f "$marker" ] || return 0
    [ "$(cat "$marker")" = "$want" ] && return 0
    echo "entrypoint: re-initialising the baked cluster for user $user, database $db"
    find "$PGDATA" -mindepth 1 -delete
  fi
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" >"$pwfile"
  initdb --no-sync --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # A private, socket-only server for the init scripts, as the official image does.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c fsync=off" -w start >/dev/null
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -q --username="$user" --dbname=postgres -c "CREATE DATABASE \"$db\""
  fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "entrypoint: running $f"
    psql -v ON_ERROR_STOP=1 -q --username="$user" --dbname="$db" -f "$f"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "$want" >"$marker"
  echo "entrypoint: cluster initialised for user $user, database $db"
}

if [ "${1:-}" = postgres ] || [ "${1:-}" = --init-only ]; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    # Only when needed: a recursive chown copies the whole baked cluster up into the container's layer.
    if [ "$(stat -c %U "$PGDATA")" != postgres ]; then chown -R postgres:postgres "$PGDATA"; fi
    chown postgres:postgres /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  init_cluster
  if [ "$1" = --init-only ]; then exit 0; fi
fi
exec "$@"
