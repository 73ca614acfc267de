#!/usr/bin/env bash
# bench/validate.sh -- `sluice validate` on the pgbench scale-50 and wide datasets
# against the plain way: SELECT count(*) plus an md5(string_agg(...)) hash of
# every table in psql on both sides (the two sides at once, as validate reads
# them), in the same run, ROUNDS rounds alternating, medians. The md5 goes over
# each row's md5, md5(string_agg(md5(t::text), '' ORDER BY key)): the rows' text
# itself would pass PostgreSQL's 1 GB string limit on the wide table.
#
# The datasets are bench/pg_setup.sh's instances (source pgbench on
# $SRC_PORT_PGBENCH, wide on $SRC_PORT_WIDE, database "src"); the target is a
# database of our own, "validate_<dataset>", on the target instance ($TGT_PORT),
# filled once by a sluice full load (VALIDATE_RELOAD=1 loads it again). Run it
# under the lock the other benches use:
#   SHARED_BENCH=/work/shared/bench flock -o /tmp/sluice-bench.lock bash bench/validate.sh
# knobs: ROUNDS (3), DATASETS ("pgbench wide"), JOBS (2), CHUNK_ROWS (50000),
#        SLUICE (build/sluice)
set -euo pipefail
# shellcheck source=bench/pg_common.sh
source "$(dirname "$0")/pg_common.sh"
ROUNDS=${ROUNDS:-3}
DATASETS=${DATASETS:-"pgbench wide"}
JOBS=${JOBS:-2}
CHUNK_ROWS=${CHUNK_ROWS:-50000}
WORK=$(mktemp -d /tmp/sluice-validate-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RUNS="$WORK/runs.tsv"
: > "$RUNS"

uri() { echo "postgresql://postgres@127.0.0.1:$1/$2"; }
# tables of the dataset with a primary key (pgbench_history has none and no rows)
tables_of() {
  psql -X -At "$1" -c "SELECT format('%I.%I', n.nspname, c.relname) || '|' ||
      (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum))
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
       WHERE i.indrelid = c.oid AND i.indisprimary)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
    ORDER BY 1"
}

pipeline() { # FILE SRC TGT
  cat > "$1" <<EOF
return {
  name = "bench-validate",
  mode = "full-load",
  source = { plugin = "source-pg", conninfo = "$2" },
  target = { plugin = "sink-pg", conninfo = "$3", checkpoint_key = "bench-validate" },
  settings = { MaxFullLoadSubTasks = $JOBS, TargetTablePrepMode = "DROP_AND_CREATE" },
}
EOF
}

# psql_side URI TABLES_FILE: count(*) and the ordered md5 of every table
psql_side() {
  local u=$1 t key
  while IFS='|' read -r t key; do
    psql -X -At -v ON_ERROR_STOP=1 "$u" -c "SELECT count(*) FROM $t" \
      -c "SELECT md5(string_agg(md5(r::text), '' ORDER BY $key)) FROM $t r"
  done < "$2"
}

now() { date +%s.%N; }

for ds in $DATASETS; do
  sp=$(src_port_of "$ds")
  SRC=$(uri "$sp" src) TGT=$(uri "$TGT_PORT" "validate_$ds")
  pipeline "$WORK/$ds.lua" "$SRC" "$TGT"
  if [ "${VALIDATE_RELOAD:-0}" = 1 ] ||
     ! psql -X -At "$(uri "$TGT_PORT" postgres)" -c "SELECT 1 FROM pg_database WHERE datname = 'validate_$ds'" | grep -q 1; then
    psql -X -q "$(uri "$TGT_PORT" postgres)" -c "DROP DATABASE IF EXISTS validate_$ds" -c "CREATE DATABASE validate_$ds"
    log "loading $ds into validate_$ds"
    (cd "$WORK" && "$SLUICE" run --no-progress --state-dir "$WORK/state-$ds" "$ds.lua" > "$WORK/load-$ds.log" 2>&1) ||
      { tail -20 "$WORK/load-$ds.log" >&2; exit 1; }
  fi
  tables_of "$SRC" > "$WORK/$ds.tables"
  pattern=$([ "$ds" = pgbench ] && echo 'pgbench_%s' || echo '%')
  for round in $(seq "$ROUNDS"); do
    t0=$(now)
    rc=0
    (cd "$WORK" && "$SLUICE" validate --jobs "$JOBS" --chunk-rows "$CHUNK_ROWS" --table "$pattern" \
       --format json "$ds.lua" > "$WORK/validate-$ds.json" 2> "$WORK/validate-$ds.err") || rc=$?
    t1=$(now)
    [ "$rc" = 0 ] || { cat "$WORK/validate-$ds.err" "$WORK/validate-$ds.json" >&2; exit 1; }
    hashed=$(jq '[.tables[].chunks_hashed] | add' "$WORK/validate-$ds.json")
    chunks=$(jq '[.tables[].chunks] | add' "$WORK/validate-$ds.json")
    printf '%s\t%s\tvalidate\t%.2f\t%s/%s\n' "$round" "$ds" "$(echo "$t1 - $t0" | bc)" "$hashed" "$chunks" >> "$RUNS"
    t0=$(now)
    psql_side "$SRC" "$WORK/$ds.tables" > "$WORK/psql-src.txt" & a=$!
    psql_side "$TGT" "$WORK/$ds.tables" > "$WORK/psql-tgt.txt" & b=$!
    wait $a; wait $b
    t1=$(now)
    cmp -s "$WORK/psql-src.txt" "$WORK/psql-tgt.txt" || { echo "psql: the sides differ" >&2; exit 1; }
    printf '%s\t%s\tpsql\t%.2f\t-\n' "$round" "$ds" "$(echo "$t1 - $t0" | bc)" >> "$RUNS"
    log "round $round $ds: $(grep -P "^$round\t$ds\t" "$RUNS" | cut -f3,4 | paste -sd' ')"
  done
done

med() { awk -F'\t' -v d="$1" -v t="$2" '$2 == d && $3 == t { print $4 }' "$RUNS" | median; }
echo "## sluice validate vs count(*) + md5(string_agg(md5(row))) in psql ($(date -u +%FT%TZ))"
echo
echo "$ROUNDS rounds, --jobs $JOBS --chunk-rows $CHUNK_ROWS; psql: both sides at once, one session each, table after table; sluice: $(sluice_version)"
echo
echo "| dataset | rows | validate median s (min / max) | chunks hashed in the databases | psql count + md5 median s (min / max) | validate / psql |"
echo "|---|---|---|---|---|---|"
for ds in $DATASETS; do
  v=$(med "$ds" validate) p=$(med "$ds" psql)
  vr=$(awk -F'\t' -v d="$ds" '$2 == d && $3 == "validate" { print $4 }' "$RUNS" | sort -g | sed -n '1p;$p' | paste -sd/)
  pr=$(awk -F'\t' -v d="$ds" '$2 == d && $3 == "psql" { print $4 }' "$RUNS" | sort -g | sed -n '1p;$p' | paste -sd/)
  rows=$(jq '[.tables[].source_rows] | add' "$WORK/validate-$ds.json" 2>/dev/null || echo -)
  h=$(awk -F'\t' -v d="$ds" '$2 == d && $3 == "validate" { print $5; exit }' "$RUNS")
  echo "| $ds | $rows | $v ($vr) | $h | $p ($pr) | $(ratio "$v" "$p") |"
done
