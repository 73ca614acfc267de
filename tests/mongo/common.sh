# Shared by the source-mongo tests: a MOCK MongoDB server of the test's own
# (mock_mongod.py: no MongoDB server can run on this machine), a target
# database on the fixture's PostgreSQL (dropped at exit), and helpers to write
# pipelines and run sluice.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${PGPORT:?set by ctest}"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
NAME=$(basename "$0" .sh)
TGT="mg_tgt_${NAME}_$$"
HERE=$(cd "$(dirname "$0")" && pwd)
MOCK="$HERE/mock_mongod.py"
PY=/usr/bin/python3 # Debian's python3, with python3-bson
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-mg.XXXXXX")
BG_PIDS=()

fail() { echo "FAIL (mock server): $*" >&2; exit 1; }
pass() { echo "ok (mock server): $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed (against the mock MongoDB server, not MongoDB)"; }

tgt() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$TGT" "$@"; }

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  cd /
  dropdb --if-exists --force "$TGT" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- $WORK kept; run.log tail:" >&2; tail -30 "$WORK/run.log" >&2 2>/dev/null || true
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
createdb "$TGT"
cd "$WORK"

# mock_start STATE_JSON: starts the mock server on a free port with that state
# (mock_mongod.py says what it holds); sets MOCK_PORT and MONGO_URI.
mock_start() {
  printf '%s\n' "$1" > state.json
  : > events.jsonl
  rm -f mock.port
  "$PY" "$MOCK" serve state.json events.jsonl mock.port commands.log > mock.out 2>&1 &
  BG_PIDS+=($!)
  MOCK_PID=$!
  for _ in $(seq 100); do [ -s mock.port ] && break; sleep 0.1; done
  [ -s mock.port ] || { cat mock.out >&2; fail "the mock server did not start"; }
  MOCK_PORT=$(cat mock.port)
  export MONGO_URI="mongodb://127.0.0.1:$MOCK_PORT/?directConnection=true&serverSelectionTimeoutMS=3000"
}

# mock_event JSON: the mock's change stream gets this event (Extended JSON).
mock_event() { "$PY" "$MOCK" event events.jsonl "$1"; }

# write_pipeline FILE MODE ['settings'] ['source options']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "source-mongo", uri = env "MONGO_URI", ${4:-} },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT", checkpoint_key = "${1%.lua}" },
  settings = { StatusIntervalMs = 100, ${3:-} },
}
LUA
}

phase() {
  { grep -o '"phase": "[a-z-]*"' ".sluice/$1/status.json" 2>/dev/null || true; } | cut -d'"' -f4
}
in_phase() { [ "$(phase "$1")" = "$2" ]; }

wait_for() {
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

tgt_is() { [ "$(tgt -c "$1" 2>/dev/null)" = "$2" ]; }

# start_cdc NAME: runs NAME.lua in the background (SL its pid) until it streams changes.
start_cdc() {
  "$SLUICE" run "$1.lua" > run.log 2>&1 &
  BG_PIDS+=($!)
  SL=$!
  wait_for 60 in_phase "$1" cdc || fail "no CDC phase: $(tail -5 run.log)"
}
stop_sluice() { kill -TERM "$SL"; wait "$SL" 2>/dev/null || true; }
