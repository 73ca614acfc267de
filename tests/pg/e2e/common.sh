# Shared by the PostgreSQL-to-PostgreSQL end-to-end tests: source-pg into
# sink-pg through the real `sluice run`, a source and a target database of the
# test's own on the fixture's server (dropped at exit), and the comparison of
# every table by row count and per-row hash.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${PGPORT:?set by ctest}"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
NAME=$(basename "$0" .sh)
SRC="e2e_src_${NAME}_$$" TGT="e2e_tgt_${NAME}_$$" SLOT="e2e_${NAME}_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
BG_PIDS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

src() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$SRC" "$@"; }
tgt() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$TGT" "$@"; }

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  cd /
  for _ in $(seq 30); do
    psql -X -q -At -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
      WHERE slot_name = '$SLOT' AND NOT active" > /dev/null 2>&1 || true
    [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'")" ] && break
    sleep 0.2
  done
  dropdb --if-exists --force "$SRC" 2>/dev/null || true
  dropdb --if-exists --force "$TGT" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- $WORK kept; run.log tail:" >&2; tail -20 "$WORK/run.log" >&2 2>/dev/null || true
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
createdb "$SRC"; createdb "$TGT"
cd "$WORK"

# write_pipeline FILE MODE ['settings'] ['source options'] ['target options']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT", ${4:-} },
  target = { plugin = "sink-pg", conninfo = "${TGT_CONNINFO:-dbname=$TGT}", ${5:-} },
  settings = { StatusIntervalMs = 100, ${3:-} },
}
LUA
}

# table_digest DB: "schema.table count md5" for every user table, rows ordered by
# all columns, so the digest does not depend on physical order or on a key.
table_digest() {
  local db=$1 t
  psql -X -At -d "$db" -c "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'sluice') ORDER BY 1" > "tables.$db"
  while IFS= read -r t; do  # names may hold spaces: one per line
    psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT \$n\$$t\$n\$, count(*),
        md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) FROM $t r" ||
      { echo "could not read table $t of $db" >&2; return 1; }
  done < "tables.$db"
}

# same_tables: the target holds exactly the source's rows in every table.
same_tables() {
  table_digest "$SRC" > source.digest || return 1
  table_digest "$TGT" > target.digest || return 1
  [ -s source.digest ] || { echo "the source has no tables to compare" >&2; return 1; }
  if ! diff source.digest target.digest > digest.diff; then
    cat digest.diff >&2
    return 1
  fi
}

# lsn_of_checkpoint: the target checkpoint's LSN as a number (8-byte big-endian bytea).
checkpoint_lsn_num() {
  tgt -c "SELECT coalesce(max(('x' || encode(position, 'hex'))::bit(64)::bigint), 0)
          FROM sluice.sluice_checkpoint" 2>/dev/null || echo 0
}
slot_lsn_num() {
  psql -X -At -d postgres -c "SELECT coalesce(confirmed_flush_lsn - '0/0'::pg_lsn, 0)::bigint
    FROM pg_replication_slots WHERE slot_name = '$SLOT'" 2>/dev/null
}
