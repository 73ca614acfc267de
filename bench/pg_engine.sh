#!/usr/bin/env bash
# bench/pg_engine.sh -- sluice as "our engine" for the hooks of ../shared/bench.
#
#   pg_engine.sh fullload   ENGINE_CMD of fullload_peers.sh: uses SRC_URI TGT_URI DATASET JOBS
#                           mode full-load, MaxFullLoadSubTasks = JOBS, into the
#                           pre-created, truncated tables (TargetTablePrepMode
#                           TRUNCATE_BEFORE_LOAD, or $PREP_MODE)
#   pg_engine.sh cdc        ENGINE_CDC_CMD of cdc_limits.sh: uses SRC_URI TGT_URI SLOT PUBLICATION ENDPOS
#                           mode cdc-only from the existing slot, --until ENDPOS
#   pg_engine.sh mysql-fullload
#                           ENGINE_MYSQL_CMD of fullload_peers.sh: uses MY_URI TGT_URI TABLES JOBS
#                           source-mysql, mode full-load, the dataset's TABLES of
#                           MY_URI's database into public, as fullload above
#   pg_engine.sh mysql-cdc  bench/mysql_cdc.sh: uses MY_URI TGT_URI TABLES UNTIL (binlog
#                           file:offset): mode cdc-only from the position kept in STATE_DIR
#                           (the first run starts at the binlog's end), --until UNTIL
#
# Exits 0 only when sluice did (the data is then committed on the target).
# Appends one line per run to $ENGINE_LOG: time, mode, dataset, wall s
# (/usr/bin/time), peak RSS KiB (/usr/bin/time -v: max resident set size),
# peak_rss_bytes from sluice's status file, phase, exit code, CPU s (user+sys).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:?fullload or cdc}
SLUICE=${SLUICE:-$ROOT/build/sluice}
export SLUICE_PLUGIN_PATH=${SLUICE_PLUGIN_PATH:-$(dirname "$SLUICE")/plugins}
ENGINE_LOG=${ENGINE_LOG:-/dev/null}
work=$(mktemp -d /tmp/sluice-pgbench-engine.XXXXXX)
trap 'rm -rf "$work"' EXIT
: "${SRC_URI:?}" "${TGT_URI:?}"
export SRC_URI TGT_URI

case "$mode" in
fullload)
  cat > "$work/bench.lua" <<EOF
return {
  name = "bench-fullload",
  mode = "full-load",
  source = { plugin = "source-pg", conninfo = env "SRC_URI" },
  target = { plugin = "sink-pg", conninfo = env "TGT_URI", checkpoint_key = "bench-fullload" },
  settings = {
    MaxFullLoadSubTasks = ${JOBS:-2},
    TargetTablePrepMode = "${PREP_MODE:-TRUNCATE_BEFORE_LOAD}",
    ${ENGINE_SETTINGS:-}
  },
}
EOF
  until=()
  ds=${DATASET:-?} ;;
cdc)
  : "${SLOT:?}" "${PUBLICATION:?}" "${ENDPOS:?}"
  # pgbench_history has no primary key: change capture needs a replica identity
  # (only inserts reach it, so FULL changes nothing in the WAL of the workload)
  psql -X -q -At -v ON_ERROR_STOP=1 "$SRC_URI" -c "DO \$\$ BEGIN
      IF (SELECT relreplident FROM pg_class WHERE oid = 'public.pgbench_history'::regclass) <> 'f' THEN
        ALTER TABLE public.pgbench_history REPLICA IDENTITY FULL; END IF; END \$\$"
  cat > "$work/bench.lua" <<EOF
return {
  name = "bench-cdc",
  mode = "cdc-only",
  source = { plugin = "source-pg", conninfo = env "SRC_URI", slot = "$SLOT", publication = "$PUBLICATION" },
  target = { plugin = "sink-pg", conninfo = env "TGT_URI", checkpoint_key = "bench-cdc" },
  settings = { ${ENGINE_SETTINGS:-} },
}
EOF
  until=(--until "$ENDPOS")
  ds=cdc ;;
mysql-fullload|mysql-cdc)
  : "${MY_URI:?}"
  # mysql://user:password@host:port/db, as ../shared/bench/common.sh writes it
  [[ $MY_URI =~ ^mysql://([^:]+):([^@]*)@([^:/]+):([0-9]+)/(.+)$ ]] || { echo "bad MY_URI" >&2; exit 2; }
  export MY_PASSWORD=${BASH_REMATCH[2]}
  my_user=${BASH_REMATCH[1]} my_host=${BASH_REMATCH[3]} my_port=${BASH_REMATCH[4]} my_db=${BASH_REMATCH[5]}
  include=""
  for t in ${TABLES:?}; do
    include="$include    { rule = \"include\", schema = \"$my_db\", table = \"$t\" },"$'\n'
  done
  if [ "$mode" = mysql-fullload ]; then
    name=bench-mysql-fullload pmode=full-load until=() ds=${DATASET:-?}
  else
    name=bench-mysql-cdc pmode=cdc-only until=(--until "${UNTIL:?}") ds=mysql-cdc
  fi
  cat > "$work/bench.lua" <<EOF
return {
  name = "$name",
  mode = "$pmode",
  source = { plugin = "source-mysql", host = "$my_host", port = $my_port, user = "$my_user",
             password = env "MY_PASSWORD", databases = "$my_db", server_id = 4321 },
  target = { plugin = "sink-pg", conninfo = env "TGT_URI", checkpoint_key = "$name" },
  mappings = {
$include    { rule = "rename", schema = "$my_db", value = "public" },
  },
  settings = {
    MaxFullLoadSubTasks = ${JOBS:-2},
    TargetTablePrepMode = "${PREP_MODE:-TRUNCATE_BEFORE_LOAD}",
    ${ENGINE_SETTINGS:-}
  },
}
EOF
  ;;
*) echo "usage: $0 fullload|cdc|mysql-fullload|mysql-cdc" >&2; exit 2 ;;
esac

rc=0
state=${STATE_DIR:-$work/state}
/usr/bin/time -v -o "$work/time.txt" "$SLUICE" run --no-progress --state-dir "$state" "${until[@]}" "$work/bench.lua" \
  > "$work/sluice.log" 2>&1 || rc=$?
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$work/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
peak=$(jq -r '.memory.peak_rss_bytes // .peak_rss_bytes // "-"' "$state/status.json" 2>/dev/null || echo -)
phase=$(jq -r '.phase // "-"' "$state/status.json" 2>/dev/null || echo -)
cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/time.txt")
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%s)" "$mode" "$ds" "$wall" "${rss:--}" "$peak" "$phase" "$rc" "$cpu" >> "$ENGINE_LOG"
if [ "$rc" != 0 ]; then
  echo "sluice exited $rc:" >&2; tail -30 "$work/sluice.log" >&2
  cp "$work/sluice.log" "${ENGINE_FAIL_LOG:-/tmp/sluice-pgbench-engine-failed.log}" 2>/dev/null || true
  exit "$rc"
fi
