# Shared by the sink-pg runner tests: the real `sluice run` with the generator
# source and sink-pg into the fixture's PostgreSQL (PGHOST/PGPORT/PGUSER).
# Each test gets its own database (sinktest_<name>), dropped at the end, and
# judges the target by dumping it in generator-expect's format.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${TEST_PLUGINS:?set by ctest}" "${PGHOST:?}" "${PGPORT:?}"
EXPECT="$TEST_PLUGINS/generator-expect"
export PGUSER=${PGUSER:-postgres} PGDATABASE=postgres

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sinkpg-test.XXXXXX")
DB="" DBS=()
cleanup() {
  cd /
  for db in "${DBS[@]}"; do dropdb --if-exists --force "$db" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# make_db NAME: a fresh database sinktest_NAME for this test.
make_db() {
  DB="sinktest_$1"
  DBS+=("$DB")
  dropdb --if-exists --force "$DB" 2>/dev/null
  createdb "$DB"
}

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -Atc "$1"; }

# write_pipeline FILE MODE 'source options' 'extra target options' ['settings']
# The target names only the database: host, port and user come from PG* variables.
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "generator", $3 },
  target = { plugin = "sink-pg", conninfo = "dbname=$DB", ${4:-} },
  settings = { StatusIntervalMs = 100, ${5:-} },
}
LUA
}

# dump_target [SCHEMA]: every table as generator-expect prints it: "gen.tN<TAB>values",
# tables in strcmp order of their names, rows by id, COPY text escaping, NULL as \N.
dump_target() {
  local schema=${1:-gen} t
  for t in $(sql "SELECT tablename FROM pg_tables WHERE schemaname = '$schema'" | LC_ALL=C sort); do
    sql "COPY (SELECT 'gen.$t', * FROM \"$schema\".\"$t\" ORDER BY id) TO STDOUT"
  done
}

# check_target GENERATOR-EXPECT-ARGS...: the target equals the generator's model.
check_target() {
  "$EXPECT" "$@" > expect.out || fail "generator-expect $*"
  dump_target > target.out
  if ! cmp -s expect.out target.out; then
    diff expect.out target.out | head -20 >&2
    fail "target differs from the source model ($*)"
  fi
}

# checkpoint_txn [KEY]: the transaction number in the checkpoint row (8-byte big-endian).
checkpoint_txn() {
  sql "SELECT ('x' || encode(position, 'hex'))::bit(64)::bigint FROM sluice.sluice_checkpoint
       WHERE key = '${1:-default}'"
}
