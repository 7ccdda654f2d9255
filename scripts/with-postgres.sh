#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL 15 cluster of its own: initdb into a temporary
# folder, a free port on loopback and a Unix socket in that folder, stopped and removed when the
# command ends, however it ends. Nothing outside the folder is touched (no system cluster, no
# /var/run/postgresql). initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` user Debian's package creates.
#
# The command sees MEDIAORCH_TEST_POSTGRES (postgres://postgres@127.0.0.1:PORT/postgres),
# MEDIAORCH_TEST_PGDATA and MEDIAORCH_TEST_PGBIN (for tests that restart the server).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "with-postgres: $bin/initdb is missing (make bootstrap installs postgresql-15)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir="$(mktemp -d /tmp/mediaorch-pg.XXXXXX)"
stop() {
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$dir"
chmod 700 "$dir"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off for tests: their data is thrown away, and `pg_ctl restart -m fast` (the chaos test)
# shuts down cleanly. WITH_POSTGRES_DURABLE=1 (the benchmarks) keeps PostgreSQL's defaults.
durability="-c fsync=off -c synchronous_commit=off"
[ "${WITH_POSTGRES_DURABLE:-0}" = 1 ] && durability=""
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 $durability" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
export MEDIAORCH_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export MEDIAORCH_TEST_PGDATA="$dir/data" MEDIAORCH_TEST_PGBIN="$bin"
echo "with-postgres: PostgreSQL 15 on 127.0.0.1:$port ($dir)"
set +e
"$@"
status=$?
set -e
exit $status
