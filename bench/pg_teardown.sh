#!/usr/bin/env bash
# bench/pg_teardown.sh -- stop the instances of bench/pg_setup.sh (by their
# data folders' pid files, never by process name). PURGE=1 also deletes the
# data folders and work files under $PERF_ROOT (results are kept).
source "$(dirname "$0")/pg_common.sh"
for d in "$PERF_ROOT/pg_src_pgbench" "$PERF_ROOT/pg_src_wide" "$TGT_PGDATA" "$CDC_PGDATA"; do
  if [ -s "$d/postmaster.pid" ] && kill -0 "$(head -1 "$d/postmaster.pid")" 2>/dev/null; then
    log "stopping $d"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m fast -w -t 60 stop >/dev/null || log "could not stop $d"
  fi
done
if [ "${PURGE:-0}" = 1 ]; then
  log "purging data folders under $PERF_ROOT"
  rm -rf "$PERF_ROOT/pg_src_pgbench" "$PERF_ROOT/pg_src_wide" "$TGT_PGDATA" "$CDC_PGDATA" "$WORK_DIR" "$RUN_DIR"
fi
