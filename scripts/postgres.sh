#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the warehouse tests:
#   eval "$(bash scripts/postgres.sh start)"   # prints the export of SCOREBOOK_POSTGRES
#   bash scripts/postgres.sh stop
# Installs Debian's postgresql package if the server binaries are missing. The server runs as
# the `postgres` user (initdb refuses root) from a data directory under /tmp.
set -euo pipefail
dir="${SCOREBOOK_PG_DIR:-/tmp/scorebook-postgres}"
port="${SCOREBOOK_PG_PORT:-54329}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
case "${1:-}" in
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
      echo "installing Debian's postgresql" >&2
      as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    fi
    as_postgres "$bin/pg_ctl -D '$dir' stop -m fast" >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_postgres "$bin/initdb -D '$dir' -A trust -U postgres" >/dev/null
    as_postgres "$bin/pg_ctl -D '$dir' -l '$dir/server.log' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -w start" >/dev/null
    echo "export SCOREBOOK_POSTGRES='postgresql://postgres@127.0.0.1:$port/postgres'"
    ;;
  stop)
    [ -d "$dir" ] && as_postgres "$bin/pg_ctl -D '$dir' stop -m fast" >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
