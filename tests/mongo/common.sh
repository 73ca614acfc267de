# Shared by the source-mongo tests: a MongoDB server of the test's own, by
# MONGO_BACKEND:
#   mock (the default): mock_mongod.py, a scripted wire-protocol MOCK server,
#     not MongoDB (no MongoDB server can be installed on the machine these
#     tests were written on);
#   real: mongod from PATH, a one-member replica set (or a standalone server)
#     on loopback; without mongod on PATH the test says SKIPPED and exits 77.
# Also a target database on the fixture's PostgreSQL (dropped at exit), mg to
# write data as a user would (mg.py, through pymongo), and helpers to write
# pipelines and run sluice. Every pass / fail line names the server.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${PGPORT:?set by ctest}"
MONGO_BACKEND=${MONGO_BACKEND:-mock}
case $MONGO_BACKEND in
  mock) SERVER="mock server" ;;
  real) SERVER="real mongod" ;;
  *) echo "MONGO_BACKEND is mock or real, not \"$MONGO_BACKEND\"" >&2; exit 2 ;;
esac
if [ "$MONGO_BACKEND" = real ] && ! command -v mongod > /dev/null; then
  echo "SKIPPED: no mongod on PATH ($(basename "$0") with MONGO_BACKEND=real runs against a real mongod it starts; nothing was tested)"
  exit 77
fi
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
NAME=$(basename "$0" .sh)
TGT="mg_tgt_${NAME}_$$"
HERE=$(cd "$(dirname "$0")" && pwd)
MOCK="$HERE/mock_mongod.py"
PY=/usr/bin/python3 # Debian's python3, with python3-bson and python3-pymongo
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-mg.XXXXXX")
BG_PIDS=()

fail() { echo "FAIL ($SERVER): $*" >&2; exit 1; }
pass() { echo "ok ($SERVER): $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed ($SERVER)"; }

# mock_only 'part': true with the mock server; with a real mongod it says
# plainly that this part (which only the mock can play) was skipped.
mock_only() {
  [ "$MONGO_BACKEND" = mock ] && return 0
  echo "SKIPPED ($SERVER): $* (only the mock server plays this part)"
  return 1
}

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

# mongo_start STATE_JSON: starts MONGO_BACKEND's server with the documents of
# that state (mock_mongod.py says what it holds; "setName": null is a
# standalone server); sets MONGO_PORT, SERVER_PID and MONGO_URI.
mongo_start() {
  if [ "$MONGO_BACKEND" = mock ]; then mock_start "$1"; else mongod_start "$1"; fi
}
mongo_stop() { kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }

# mongod_start STATE_JSON: a mongod of this test's own on a free port, data in
# this test's directory, loaded with pymongo.
mongod_start() {
  printf '%s\n' "$1" > state.json
  MONGO_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local dir="mongod-$MONGO_PORT" replset=()
  "$PY" -c 'import json; exit(0 if json.load(open("state.json")).get("setName") else 1)' && replset=(--replSet rs0)
  mkdir "$dir"
  mongod "${replset[@]}" --port "$MONGO_PORT" --bind_ip 127.0.0.1 --dbpath "$dir" \
    --logpath "$dir.log" --wiredTigerCacheSizeGB 0.25 > "$dir.out" 2>&1 &
  BG_PIDS+=($!)
  SERVER_PID=$!
  export MONGO_URI="mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true&serverSelectionTimeoutMS=3000"
  wait_for 60 mg ping || fail "mongod did not start: $(tail -3 "$dir.out" "$dir.log")"
  if [ ${#replset[@]} -gt 0 ]; then mg initiate || fail "no primary: $(tail -3 "$dir.log")"; fi
  mg load state.json || fail "could not load the documents of the state into mongod"
}

# mock_start STATE_JSON: starts the mock server on a free port with that state;
# sets MOCK_PORT (= MONGO_PORT), MOCK_PID (= SERVER_PID) and MONGO_URI. For
# tests and parts that only the mock can play.
mock_start() {
  [ "$MONGO_BACKEND" = mock ] || fail "mock_start with MONGO_BACKEND=$MONGO_BACKEND: this part is mock-only"
  printf '%s\n' "$1" > state.json
  : > events.jsonl
  rm -f mock.port
  "$PY" -B "$MOCK" serve state.json events.jsonl mock.port commands.log > mock.out 2>&1 &
  BG_PIDS+=($!)
  MOCK_PID=$!
  for _ in $(seq 100); do [ -s mock.port ] && break; sleep 0.1; done
  [ -s mock.port ] || { cat mock.out >&2; fail "the mock server did not start"; }
  MOCK_PORT=$(cat mock.port) MONGO_PORT=$(cat mock.port) SERVER_PID=$MOCK_PID
  export MONGO_URI="mongodb://127.0.0.1:$MOCK_PORT/?directConnection=true&serverSelectionTimeoutMS=3000"
}

# mock_event JSON: the mock's change stream gets this scripted event (Extended
# JSON), which no write made: for what a client cannot cause.
mock_event() { "$PY" -B "$MOCK" event events.jsonl "$1"; }

# mg OP DB COLL ARGS..., mg txn [--abort] < OPS: writes through pymongo, as a
# user would, to whichever server runs (mg.py says what it does).
mg() { "$PY" "$HERE/mg.py" "$MONGO_URI" "$@"; }

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
