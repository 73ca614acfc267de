#!/usr/bin/env bash
# A throwaway MariaDB (10.11) server on loopback, in a folder of its own.
#   mariadb-throwaway.sh start DIR PORT [extra my.cnf lines...]
#   mariadb-throwaway.sh stop DIR
# start makes DIR/data once (mariadb-install-db), writes DIR/my.cnf with the
# binary log as change capture needs it (log_bin, binlog_format=ROW,
# binlog_row_image=FULL, binlog_row_metadata=FULL, server_id=1) followed by the
# extra lines (a later line wins: "binlog_format=STATEMENT", "skip-log-bin"),
# listens on 127.0.0.1:PORT only with its socket in DIR, and waits until it
# accepts connections. Started again on a running server, it restarts it with
# the new settings. As root the server runs as the mysql user. stop ends the
# server by the PID in DIR/mariadbd.pid. Never systemd. Connect with:
#   mariadb --protocol=tcp -h 127.0.0.1 -P PORT -u root
set -euo pipefail
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
cmd=${1:?start or stop}; dir=$(realpath -m "${2:?folder}")

pid_of() { [ -f "$dir/mariadbd.pid" ] && cat "$dir/mariadbd.pid" || true; }

stop_server() {
  local pid; pid=$(pid_of)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/mariadbd.pid"
}

case "$cmd" in
start)
  port=${3:?port}; shift 3
  mkdir -p "$dir"
  user_line=""
  if [ "$(id -u)" = 0 ]; then
    user_line="user=mysql"
    chown mysql:mysql "$dir"
    # the mysql user must be able to reach DIR (mktemp folders are 0700)
    p=$(cd "$dir/.." && pwd)
    while [ "$p" != / ]; do
      [ -O "$p" ] && chmod o+x "$p"
      p=$(dirname "$p")
    done
  fi
  {
    echo "[mariadbd]"
    [ -n "$user_line" ] && echo "$user_line"
    echo "datadir=$dir/data"
    echo "socket=$dir/mariadbd.sock"
    echo "pid-file=$dir/mariadbd.pid"
    echo "log-error=$dir/server.log"
    # its own temporary folder: /tmp is shared with other servers and tests
    # (an internal temporary table's file vanished there once)
    echo "tmpdir=$dir/tmp"
    echo "port=$port"
    echo "bind-address=127.0.0.1"
    echo "skip-name-resolve"
    echo "log_bin=$dir/data/binlog"
    echo "binlog_format=ROW"
    echo "binlog_row_image=FULL"
    echo "binlog_row_metadata=FULL"
    echo "server_id=1"
    echo "character_set_server=utf8mb4"
    echo "collation_server=utf8mb4_general_ci"
    echo "innodb_buffer_pool_size=64M"
    echo "innodb_log_file_size=32M"
    echo "innodb_flush_log_at_trx_commit=2"  # throwaway test data: speed over durability
    echo "sync_binlog=0"
    for line in "$@"; do echo "$line"; done
  } > "$dir/my.cnf"
  mkdir -p "$dir/tmp"
  [ -n "$user_line" ] && chown mysql:mysql "$dir/tmp"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=normal \
      --skip-test-db > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  fi
  stop_server
  # no inherited descriptors: ctest waits for a test's pipes to close
  (cd / && exec setsid "$MARIADBD" --defaults-file="$dir/my.cnf" \
      < /dev/null > "$dir/stdout.log" 2>&1 &)
  for _ in $(seq 600); do
    if mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u root \
        ping > /dev/null 2>&1; then
      exit 0
    fi
    sleep 0.1
  done
  echo "mariadbd did not start on port $port:" >&2
  tail -20 "$dir/server.log" >&2 2>/dev/null || true
  exit 1
  ;;
stop)
  stop_server
  ;;
*) echo "usage: $0 start DIR PORT [my.cnf lines] | stop DIR" >&2; exit 2 ;;
esac
