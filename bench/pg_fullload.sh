#!/usr/bin/env bash
# bench/pg_fullload.sh -- sluice's PG -> PG full load against the COPY-pipe
# limits and pgcopydb, in the same run, on the datasets of ../shared/bench.
#
# For each dataset, ROUNDS rounds; each round runs, one measurement each:
#   ../shared/bench/fullload_limits.sh  LIMIT_MODES="copy-binary copy-text"
#   ../shared/bench/fullload_peers.sh   PEER_MODES="pgcopydb-data engine"
#       with ENGINE_CMD = bench/pg_engine.sh fullload (sluice run, mode full-load)
# (odd rounds limits first, even rounds peers first), so the engine, the limits
# and the peer alternate over the same minutes. Every run is timed by the shared
# bench() (hyperfine, untimed TRUNCATE + CHECKPOINT of the target before each),
# and verified by its content checksum. After each sluice run the target rows
# are also counted with SQL. Medians over the rounds.
#
# With SOURCE_ENGINE=mysql (bench/mysql_fullload.sh) the same rounds measure
# MySQL -> PG instead: the limit is fullload_limits.sh's mysql-copy (mariadb
# --batch | psql COPY), the peer pgloader, the engine source-mysql
# (pg_engine.sh mysql-fullload as ENGINE_MYSQL_CMD) reading bench/mysql_setup.sh's
# MariaDB copy of the same rows.
#
# usage: bench/pg_setup.sh; bench/pg_fullload.sh
# knobs: ROUNDS (3), DATASETS ("pgbench wide"), JOBS (2), SLUICE (build/sluice),
#        PGBENCH_SCALE / WIDE_ROWS (as given to pg_setup.sh), ENGINE_SETTINGS
#        (extra settings lines for the pipeline, e.g. 'FullLoadChunkRows = 500000,')
source "$(dirname "$0")/pg_common.sh"
ROUNDS=${ROUNDS:-3}
SOURCE_ENGINE=${SOURCE_ENGINE:-pg}
case "$SOURCE_ENGINE" in
  pg)    LIMITS="copy-binary copy-text" PEERS="pgcopydb-data engine" ENGINE_MODE=fullload
         TITLE="PG -> PG full load: sluice vs COPY-pipe limits and pgcopydb"
         TARGETS="sluice <= 1.15 x copy-binary and <= pgcopydb-data; peak RSS < 256 MB" ;;
  mysql) LIMITS="mysql-copy" PEERS="pgloader engine-mysql" ENGINE_MODE=mysql-fullload
         export NEED_MARIADB=1
         TITLE="MySQL -> PG full load: sluice (source-mysql) vs the mariadb | psql COPY limit and pgloader"
         TARGETS="sluice <= 1.3 x mysql-copy and <= 0.5 x pgloader (2x faster)" ;;
  *) die "SOURCE_ENGINE is pg or mysql" ;;
esac
DATASETS=${DATASETS:-"pgbench wide"}
T0=$(date +%s)
init_results
RUNS_TSV=$RESULTS_DIR/${SOURCE_ENGINE}_fullload_runs.tsv
export ENGINE_LOG=$ENGINE_LOG.${SOURCE_ENGINE}_fullload
if [ "${REPORT_ONLY:-0}" != 1 ]; then   # REPORT_ONLY=1: print the report of the last run again
echo -e "round\tdataset\ttool\tseconds\tstatus\tsql_rows" > "$RUNS_TSV"
: > "$ENGINE_LOG"
ENGINE="SLUICE=$SLUICE SLUICE_PLUGIN_PATH=$SLUICE_PLUGIN_PATH ENGINE_LOG=$ENGINE_LOG ENGINE_SETTINGS='${ENGINE_SETTINGS:-}' bash $ROOT/bench/pg_engine.sh $ENGINE_MODE"
log "sluice: $(sluice_version)"
log "engine command: $ENGINE"

collect() {  # round ds script -> rows of results.tsv for that script and dataset (engine-mysql: engine)
  awk -F'\t' -v s="$3" -v d="$2" -v r="$1" 'NR > 1 && $1 == s && $3 == d { t = $2; if (t == "engine-mysql") t = "engine"
    print r "\t" d "\t" t "\t" $5 "\t" $12 "\t-" }' "$RESULTS_TSV"
}
run_limits() {
  RUNS=1 DATASETS=$1 LIMIT_MODES="$LIMITS" RESET_RESULTS=1 \
    bash "$SHARED_BENCH/fullload_limits.sh" > "$LOG_DIR/${SOURCE_ENGINE}_fullload_limits_$1_$2.log" 2>&1
  collect "$2" "$1" fullload_limits >> "$RUNS_TSV"
}
run_peers() {
  local want got
  RUNS=1 DATASETS=$1 PEER_MODES="$PEERS" ENGINE_CMD="$ENGINE" ENGINE_MYSQL_CMD="$ENGINE" RESET_RESULTS=1 \
    bash "$SHARED_BENCH/fullload_peers.sh" > "$LOG_DIR/${SOURCE_ENGINE}_fullload_peers_$1_$2.log" 2>&1
  # the engine ran last: count its rows at the target with SQL
  want=$(dataset_rows "$1"); got=$(tgt_rows "$1")
  collect "$2" "$1" fullload_peers | awk -F'\t' -v OFS='\t' -v g="$got" -v w="$want" \
    '$3 == "engine" { $6 = g; if (g != w) $5 = "BAD(rows " g " of " w ")" } { print }' >> "$RUNS_TSV"
}

for ds in $DATASETS; do
  export SRC_PORT; SRC_PORT=$(src_port_of "$ds")
  src_sql "SELECT 1" >/dev/null || die "source for $ds (port $SRC_PORT) is not up: run bench/pg_setup.sh"
  log "dataset $ds: $(dataset_rows "$ds") rows, $(dataset_bytes "$ds") bytes, source port $SRC_PORT"
  for r in $(seq 1 "$ROUNDS"); do
    log "  round $r/$ROUNDS"
    if [ $((r % 2)) = 1 ]; then run_limits "$ds" "$r"; run_peers "$ds" "$r"
    else run_peers "$ds" "$r"; run_limits "$ds" "$r"; fi
    awk -F'\t' -v r="$r" -v d="$ds" '$1 == r && $2 == d { printf "      %-14s %8s s  %s\n", $3, $4, $5 }' "$RUNS_TSV" >&2
  done
done
fi

# ---------------------------------------------------------------- report
med_of() { awk -F'\t' -v d="$1" -v t="$2" '$2 == d && $3 == t && $5 == "ok" { print $4 }' "$RUNS_TSV" | median; }
minmax() { awk -F'\t' -v d="$1" -v t="$2" '$2 == d && $3 == t && $5 == "ok" { print $4 }' "$RUNS_TSV" | sort -g | awk '{a[NR]=$1} END { if (NR) printf "%s / %s", a[1], a[NR]; else print "-" }'; }
n_ok() { awk -F'\t' -v d="$1" -v t="$2" '$2 == d && $3 == t { n++; if ($5 == "ok") k++ } END { printf "%d/%d", k, n }' "$RUNS_TSV"; }
echo
echo "## $TITLE ($(date -u +%FT%TZ))"
echo
echo "$ROUNDS rounds, JOBS=$JOBS, one run per tool per round, tools alternating; sluice: $(sluice_version)"
echo
# sluice / tool within each round (same minutes), then the median of those
round_ratio() { awk -F'\t' -v d="$1" -v t="$2" '$2 == d && $5 == "ok" && ($3 == t || $3 == "engine") { v[$1, $3] = $4; r[$1] = 1 }
    END { for (k in r) if (v[k, t] > 0 && v[k, "engine"] > 0) printf "%.2f\n", v[k, "engine"] / v[k, t] }' "$RUNS_TSV" | median; }
echo "| dataset | tool | ok runs | median s | min / max s | rows/s | MB/s | sluice / tool (medians) | sluice / tool (median of per-round ratios) |"
echo "|---|---|---|---|---|---|---|---|---|"
for ds in $DATASETS; do
  export SRC_PORT; SRC_PORT=$(src_port_of "$ds")
  rows=$(dataset_rows "$ds"); bytes=$(dataset_bytes "$ds")
  eng=$(med_of "$ds" engine)
  for tool in $LIMITS ${PEERS/engine-mysql/engine}; do
    m=$(med_of "$ds" "$tool")
    label=$tool; [ "$tool" = engine ] && label="**sluice** (full-load, source-$SOURCE_ENGINE)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$ds" "$label" "$(n_ok "$ds" "$tool")" "$m" "$(minmax "$ds" "$tool")" \
      "$(awk -v r="$rows" -v s="$m" 'BEGIN { if (s+0 > 0) printf "%.0f", r/s; else print "-" }')" \
      "$(awk -v b="$bytes" -v s="$m" 'BEGIN { if (s+0 > 0) printf "%.1f", b/1e6/s; else print "-" }')" \
      "$( [ "$tool" = engine ] && echo - || ratio "$eng" "$m")" "$( [ "$tool" = engine ] && echo - || round_ratio "$ds" "$tool")"
  done
done
echo
echo "sluice peak RSS (/usr/bin/time max resident set size; status file peak_rss_bytes), per dataset, max over runs:"
for ds in $DATASETS; do
  awk -F'\t' -v d="$ds" -v m="$ENGINE_MODE" '$2 == m && $3 == d { n++; if ($5 > r) r = $5; if ($6 > p) p = $6 }
    END { if (n) printf "  %s: %d runs, peak RSS %.1f MiB (status file %.1f MiB)\n", d, n, r/1024, p/1048576; else printf "  %s: no runs\n", d }' "$ENGINE_LOG"
done
echo
echo "targets: $TARGETS"
echo "per-run times: $RUNS_TSV; engine runs: $ENGINE_LOG; commands: $RESULTS_DIR/cmds/"
log "${SOURCE_ENGINE}_fullload done in $(( $(date +%s) - T0 ))s"
