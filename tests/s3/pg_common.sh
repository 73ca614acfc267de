# Shared by the s3_pg_* tests: source-pg (a database and slots of the test's own on the
# pg fixture's server, dropped at exit) into sink-s3 (the s3 fixture's s3rver), the
# bucket read back with s3_replay.py and compared row by row with psql's COPY of the
# source tables, and the objects' bytes checked against DMS's CSV conventions.
set -euo pipefail
: "${SLUICE:?set by ctest}" "${PGPORT:?}" "${S3_PORT:?}" "${S3_TESTS:?}" "${S3_DATA:?}"
export PGHOST=127.0.0.1 PGUSER=postgres
# the session settings source-pg uses, so COPY prints values as sluice reads them
export PGOPTIONS="-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c bytea_output=hex"
export S3_KEY=S3RVER S3_SECRET=S3RVER
NAME=$(basename "$0" .sh)
SRC="s3_${NAME}_$$" SLOT_PREFIX="s3_${NAME}_$$"
ENDPOINT="http://127.0.0.1:$S3_PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sinks3-pg.XXXXXX")
BG_PIDS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }
src() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$SRC" "$@"; }

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  cd /
  for _ in $(seq 30); do
    psql -X -q -At -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
      WHERE slot_name LIKE '${SLOT_PREFIX}%' AND NOT active" > /dev/null 2>&1 || true
    [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_replication_slots
      WHERE slot_name LIKE '${SLOT_PREFIX}%'")" ] && break
    sleep 0.2
  done
  dropdb --if-exists --force "$SRC" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- $WORK kept; run.log tail:" >&2; tail -20 "$WORK/run.log" >&2 2>/dev/null || true
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
createdb "$SRC"
cd "$WORK"

# write_pipeline NAME BUCKET 'target options': full-load-and-cdc, slot and publication NAME
write_pipeline() {
  cat > "$1.lua" <<LUA
return {
  name = "$1",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "${SLOT_PREFIX}_$1",
             publication = "${SLOT_PREFIX}_$1" },
  target = { plugin = "sink-s3", endpoint = "$ENDPOINT", bucketName = "$2", bucketFolder = "out",
             access_key_id = env "S3_KEY", secret_access_key = env "S3_SECRET", ${3:-} },
  settings = { StatusIntervalMs = 100, FlushIntervalMs = 50 },
}
LUA
}

# start_run NAME: sluice run in the background until change capture streams
start_run() {
  "$SLUICE" run "$1.lua" > run.log 2>&1 & RUN_PID=$!
  BG_PIDS+=("$RUN_PID")
  for _ in $(seq 300); do grep -q "change capture: streaming" run.log && return 0; sleep 0.1; done
  fail "$1: never reached change capture"
}
# stop_run: SIGTERM, which writes the changes not yet rolled, and a clean exit
stop_run() {
  kill -TERM "$RUN_PID"
  wait "$RUN_PID" || fail "sluice exited $? after SIGTERM"
}

# objects BUCKET [find args]: the keys' files in s3rver's folder
objects() { local b=$1; shift; find "$S3_DATA/$b/out" -name '*._S3rver_object' "$@" | sort; }
# body FILE: an object's bytes, gunzipped when it is gzip
body() { case "$1" in *.gz._S3rver_object) gzip -dc "$1" ;; *) cat "$1" ;; esac; }
# wait_for BUCKET TEXT: until a change file holds TEXT
wait_for() {
  for _ in $(seq 200); do
    for f in $(objects "$1" -name '20*'); do body "$f" | grep -qF -- "$2" && return 0; done
    sleep 0.1
  done
  fail "no change file in bucket $1 holds \"$2\""
}

# expected: every table of the source as s3_replay.py prints it
expected() {
  local t
  for t in $(src -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
    src -c "COPY (SELECT * FROM public.$t ORDER BY id) TO STDOUT" | sed "s/^/public.$t\t/"
  done
}
# same_as_source BUCKET 'replay options': the bucket replayed equals the source
same_as_source() {
  # shellcheck disable=SC2086
  /usr/bin/python3 "$S3_TESTS/s3_replay.py" "$ENDPOINT" "$1" out $2 > got.out ||
    fail "replay of bucket $1"
  expected > want.out
  [ -s want.out ] || fail "the source has no rows"
  diff want.out got.out > diff.out || { head -30 diff.out >&2; fail "bucket $1 differs from the source"; }
}
