# Shared by the source-pg tests: a database, slot and publication of the test's
# own (dropped at exit, even on failure), psql helpers, pipelines, and checks
# that compare what the capture sink received with PostgreSQL's own COPY output.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${TEST_PLUGINS:?set by ctest}" "${PGPORT:?set by ctest}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPLAY="$TEST_PLUGINS/capture-replay"
ROWS="python3 $HERE/pgrows.py"
NAME=$(basename "$0" .sh)
DB="src_${NAME}_$$"
SLOT="src_${NAME}_$$"
PUB="src_${NAME}_$$"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
# The session settings source-pg uses, so psql prints values the same way.
CANON="-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-srcpg.XXXXXX")
BG_PIDS=()
EXTRA_CLEANUP=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# psql on the test database (or another with -d later in the arguments).
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
qpg() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

drop_slot() { # drop_slot NAME [psql args]: waits for its consumer to go away
  local slot=$1; shift
  for _ in $(seq 50); do
    psql -X -q -At -d postgres "$@" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" >/dev/null 2>&1 || true
    [ -z "$(psql -X -At -d postgres "$@" -c "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot'" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
}

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for cmd in "${EXTRA_CLEANUP[@]}"; do eval "$cmd" || true; done
  drop_slot "$SLOT"
  qpg -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  if [ $rc -ne 0 ] && [ -d "$WORK" ]; then
    echo "--- work folder $WORK kept: run.log tails ---" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -15 "$f" >&2; }; done
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT

qpg -c "CREATE DATABASE \"$DB\"" >/dev/null
cd "$WORK"

CONNINFO="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB"

# write_pipeline FILE MODE 'extra source options' ['settings'] ['extra target options']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "source-pg", conninfo = "$CONNINFO", slot = "$SLOT",
             publication = "$PUB", ${3:-} },
  target = { plugin = "capture", path = "${1%.lua}.journal", ${5:-} },
  settings = { StatusIntervalMs = 100, ${4:-} },
}
LUA
}

# copy_table TABLE_SQL OUT: the table as COPY text, printed like source-pg's session does.
copy_table() {
  PGOPTIONS="$CANON" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
    -c "COPY (SELECT * FROM $1) TO STDOUT" > "$2"
}

# check_snapshot JOURNAL JOURNAL_TABLE TABLE_SQL: the S rows equal the table, value by value.
check_snapshot() {
  copy_table "$3" "expect.copy"
  $ROWS snapshot "$1" "$2" expect.copy || fail "snapshot rows of $2 differ from the table"
}

# check_state JOURNAL JOURNAL_TABLE TABLE_SQL: the replayed target equals the table now.
check_state() {
  "$REPLAY" "$1" > replay.out || fail "capture-replay rejected $1 (lost, twice or out of order)"
  copy_table "$3" "expect.copy"
  $ROWS state replay.out "$2" expect.copy || fail "target table $2 differs from the source"
}

# The LSN a stop position must reach to include every transaction committed so far.
insert_lsn() { q -c "SELECT pg_current_wal_insert_lsn()"; }

# The slot's confirmed_flush_lsn, and the last commit position in a journal, both as
# 16 hex digits (comparable as strings).
slot_flush_hex() {
  q -c "SELECT lpad(to_hex(div(confirmed_flush_lsn - '0/0', 4294967296)::bigint), 8, '0') ||
               lpad(to_hex(((confirmed_flush_lsn - '0/0') % 4294967296)::bigint), 8, '0')
        FROM pg_replication_slots WHERE slot_name = '$SLOT'"
}
journal_commit_hex() { $ROWS lastcommit "$1"; }
