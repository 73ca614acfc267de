# Shared by the source-mysql tests: a source database of the test's own on the
# fixture's MariaDB, a target database on the fixture's PostgreSQL (both
# dropped at exit), and helpers to write pipelines and run sluice.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${MYSQL_PORT:?set by ctest}" "${PGPORT:?set by ctest}"
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
NAME=$(basename "$0" .sh)
DB="my_${NAME}_$$" TGT="my_tgt_${NAME}_$$"
# tests run side by side on one server: each binlog reader needs its own replica id
READER_ID=$((100000 + $$ % 900000))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-my.XXXXXX")
BG_PIDS=()
EXTRA_CLEANUP=()

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# my [PORT=...] ARGS: the mariadb client as root, batch output without headers.
my() {
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "${MY_PORT_OVERRIDE:-$MYSQL_PORT}" -u root \
    --default-character-set=utf8mb4 -N -B "$@"
}
tgt() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$TGT" "$@"; }

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for c in "${EXTRA_CLEANUP[@]}"; do eval "$c" || true; done
  cd /
  my -e "DROP DATABASE IF EXISTS \`$DB\`; DROP DATABASE IF EXISTS \`${DB}_zd\`" 2>/dev/null || true
  dropdb --if-exists --force "$TGT" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- $WORK kept; run.log tail:" >&2; tail -30 "$WORK/run.log" >&2 2>/dev/null || true
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
my -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4"
createdb "$TGT"
cd "$WORK"

# write_pipeline FILE MODE ['settings'] ['source options'] ['top-level entries']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "source-mysql", host = "127.0.0.1", port = ${SRC_PORT:-$MYSQL_PORT},
             user = "${SRC_USER:-root}", databases = "${SRC_DBS:-$DB}",
             server_id = $READER_ID, ${4:-} },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT", checkpoint_key = "${1%.lua}" },
  settings = { StatusIntervalMs = 100, ${3:-} },
  ${5:-}
}
LUA
}

# free_port: a TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# phase PIPELINE: the phase the running pipeline reports ("full-load", "cdc", ...).
phase() {
  { grep -o '"phase": "[a-z-]*"' ".sluice/$1/status.json" 2>/dev/null || true; } | cut -d'"' -f4
}

# in_phase PIPELINE PHASE: the running pipeline reports that phase.
in_phase() { [ "$(phase "$1")" = "$2" ]; }

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds; 1 on timeout.
wait_for() {
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# same_rows TABLE COLUMNS: the table (key id) holds the same rows at the source
# and the target: row count and an md5 over COLUMNS of every row in key order.
same_rows() {
  local s g
  s=$(my "$DB" -e "SET SESSION group_concat_max_len = 1 << 30;
    SELECT COUNT(*), MD5(COALESCE(GROUP_CONCAT(CONCAT_WS('|', $2) ORDER BY id SEPARATOR '\n'), '')) FROM $1")
  g=$(tgt -F $'\t' -c "SELECT count(*), md5(coalesce(string_agg(concat_ws('|', $2), E'\n' ORDER BY id), ''))
                       FROM \"$DB\".$1")
  [ "$s" = "$g" ] || fail "table $1 differs: source $s, target $g"
  pass "table $1 identical: $(echo "$s" | cut -f1) rows, checksum $(echo "$s" | cut -f2)"
}

# tgt_is SQL VALUE: the target's answer to SQL is VALUE.
tgt_is() { [ "$(tgt -c "$1" 2>/dev/null)" = "$2" ]; }
