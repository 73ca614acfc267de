# Shared by the PostgreSQL-to-PostgreSQL tests of this folder: the real
# `sluice`, source-pg into sink-pg, a source database and target databases of
# the test's own on the fixture's server (all dropped at exit).
set -euo pipefail

: "${SLUICE:?set by ctest}" "${TEST_PLUGINS:?set by ctest}" "${PGPORT:?set by ctest}"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
NAME=$(basename "$0" .sh)
SRC="p2p_src_${NAME}_$$"
DBS=("$SRC")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-p2p.XXXXXX")

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# db NAME psql-args...: psql on one of the test's databases
db() { local d=$1; shift; PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
src() { db "$SRC" "$@"; }

cleanup() {
  local rc=$?
  cd /
  for d in "${DBS[@]}"; do dropdb --if-exists --force "$d" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo "--- $WORK kept; log tails:" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }; done
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
createdb "$SRC"
cd "$WORK"

# new_target NAME: a fresh target database p2p_<NAME>_<pid>; prints its name.
new_target() {
  local d="p2p_${1}_$$"
  DBS+=("$d")
  dropdb --if-exists --force "$d" 2>/dev/null
  createdb "$d"
  echo "$d"
}

# write_pipeline FILE TARGET_DB ['settings'] ['target options'] ['transforms']
# A full load; the source publication and slot names are the test's own (cleanup
# drops only those).
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "full-load",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "p2p_$$",
             publication = "p2p_$$" },
  target = { plugin = "sink-pg", conninfo = "dbname=$2", ${4:-} },
  ${5:-}
  settings = { StatusIntervalMs = 100, StateDir = "state-${1%.lua}", ${3:-} },
}
LUA
}

# indexes DB SCHEMA: "table index definition" of every secondary index of the
# tables in SCHEMA (no primary keys, no partitions), the schema in the
# definition written as SCHEMA, and ON ONLY (a partitioned table's) as ON.
indexes() {
  db "$1" -c "SELECT c.relname, i.relname,
                     replace(replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ', ' ON '),
                             ' ON ' || quote_ident(n.nspname) || '.', ' ON SCHEMA.')
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = '$2' AND NOT x.indisprimary AND NOT c.relispartition
              ORDER BY 1, 2"
}

# sequences DB SCHEMA: every sequence of SCHEMA with its value and definition;
# pg_sequences shows last_value NULL for a sequence whose is_called is false.
sequences() {
  db "$1" -c "SELECT sequencename, data_type, start_value, min_value, max_value, increment_by,
                     cycle, coalesce(last_value::text, 'not called')
              FROM pg_sequences WHERE schemaname = '$2' ORDER BY 1"
}

# same WHAT FILE1 FILE2: they are equal, or fail showing the difference.
same() {
  if ! diff "$2" "$3" > diff.out; then
    cat diff.out >&2
    fail "$1 differ"
  fi
}
