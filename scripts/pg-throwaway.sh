#!/usr/bin/env bash
# A throwaway PostgreSQL 15 instance on loopback, in a folder of its own.
#   pg-throwaway.sh start DIR PORT [extra postgresql.conf lines...]
#   pg-throwaway.sh stop DIR
# start initdb's DIR/data (once), writes a config with wal_level = logical,
# listens on 127.0.0.1:PORT only, with its socket in DIR, and waits until it
# accepts connections. As root the server runs as the postgres user. Never
# systemd, never the default cluster. Connect with:
#   psql "host=127.0.0.1 port=PORT user=postgres dbname=postgres"
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?start or stop}; dir=$(realpath -m "${2:?folder}")

as_owner() { # from /: the postgres user may not be allowed into the caller's folder
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case "$cmd" in
start)
  port=${3:?port}; shift 3
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    # the postgres user must be able to reach DIR (mktemp folders are 0700)
    p=$(cd "$dir/.." && pwd)
    while [ "$p" != / ]; do
      [ -O "$p" ] && chmod o+x "$p"
      p=$(dirname "$p")
    done
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
      > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "wal_level = logical"
    echo "max_replication_slots = 20"
    echo "max_wal_senders = 20"
    echo "fsync = off"               # throwaway test data: speed over durability
    echo "full_page_writes = off"
    echo "synchronous_commit = off"
    echo "shared_buffers = 128MB"
    for line in "$@"; do echo "$line"; done
  } > "$dir/data/sluice.conf"
  grep -q "include_if_exists = 'sluice.conf'" "$dir/data/postgresql.conf" ||
    echo "include_if_exists = 'sluice.conf'" >> "$dir/data/postgresql.conf"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/data/sluice.conf"
  if as_owner "$PGBIN/pg_ctl" -D "$dir/data" status > /dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart -l "$dir/server.log" > /dev/null
  else
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -w -t 60 start -l "$dir/server.log" > /dev/null ||
      { tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop > /dev/null 2>&1 || true
  fi
  ;;
*) echo "usage: $0 start DIR PORT [conf lines] | stop DIR" >&2; exit 2 ;;
esac
