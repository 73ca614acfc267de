#!/usr/bin/env bash
# bench/pg_cdc.sh -- sluice's PG -> PG change capture, against the limit and
# the peer in the same run, then end-to-end lag at a steady write rate.
#
# 1. catch-up: ../shared/bench/cdc_limits.sh with
#      CDC_MODES="pgoutput pgcopydb-follow engine-cdc"
#      ENGINE_CDC_CMD = bench/pg_engine.sh cdc (sluice run, mode cdc-only, --until ENDPOS)
#    One recorded workload (pgbench tpcb-like -c 4 -t 25000: 100,000 transactions,
#    400,000 row changes) on the CDC source; before it, one slot per timed run
#    and tool, so every run drains the same WAL: pg_recvlogical (pgoutput, to
#    /dev/null: the decode rate), pgcopydb follow, and sluice applying into a
#    copy of the database. RUNS runs each (default 3), median, verified by the
#    shared content checksum.
# 2. lag (LAG=1): a full-load-and-cdc pipeline on a pgbench -s 10 database; once
#    it streams, pgbench -R $LAG_TPS for $LAG_SECONDS s, plus a probe row
#    (id, clock_timestamp()) committed every 0.1 s on the source; one session on
#    the target polls max(id) every ~20 ms. Lag of a probe = first poll that
#    sees it - its source timestamp (same host clock). p50 / p99 / max.
#
# usage: bench/pg_setup.sh; bench/pg_cdc.sh
# knobs: RUNS (3), CDC_TXNS (25000 per client), CDC_CLIENTS (4), CDC_SCALE (10),
#        CDC_MODES, LAG (1), LAG_TPS ("500"), LAG_SECONDS (60), SLUICE
source "$(dirname "$0")/pg_common.sh"
RUNS=${RUNS:-3}
LAG=${LAG:-1}
LAG_TPS=${LAG_TPS:-500}
LAG_SECONDS=${LAG_SECONDS:-60}
CATCHUP=${CATCHUP:-1}
T0=$(date +%s)
init_results
: > "$ENGINE_LOG.cdc"
export ENGINE_LOG=$ENGINE_LOG.cdc
ENGINE="SLUICE=$SLUICE SLUICE_PLUGIN_PATH=$SLUICE_PLUGIN_PATH ENGINE_LOG=$ENGINE_LOG bash $ROOT/bench/pg_engine.sh cdc"
log "sluice: $(sluice_version)"

# ---------------------------------------------------------------- 1. catch-up
if [ "$CATCHUP" = 1 ]; then
  log "catch-up: ../shared/bench/cdc_limits.sh, RUNS=$RUNS (log: $LOG_DIR/pg_cdc_limits.log)"
  RUNS=$RUNS CDC_MODES=${CDC_MODES:-"pgoutput pgcopydb-follow engine-cdc"} ENGINE_CDC_CMD="$ENGINE" RESET_RESULTS=1 \
    bash "$SHARED_BENCH/cdc_limits.sh" > "$LOG_DIR/pg_cdc_limits.log" 2>&1
  rc=$?
  [ $rc = 0 ] || log "cdc_limits.sh exited $rc (see $LOG_DIR/pg_cdc_limits.log)"
  grep -E '^workload:' "$LOG_DIR/pg_cdc_limits.log" > "$RESULTS_DIR/pg_cdc_workload.txt" || true
  cp "$RESULTS_TSV" "$RESULTS_DIR/pg_cdc_results.tsv"
fi

# ---------------------------------------------------------------- 2. lag
LAG_TSV=$RESULTS_DIR/pg_lag.tsv
lag_run() {  # tps
  local tps=$1 w=$WORK_DIR/lag_$1 n=$((LAG_SECONDS * 10)) sp pp wp rc=0 phase i
  local SRC="postgres://postgres@$HOST:$CDC_PORT/lagsrc" TGT="postgres://postgres@$HOST:$TGT_PORT/lagtgt"
  rm -rf "$w"; mkdir -p "$w"
  log "lag at $tps tps: preparing lagsrc (pgbench -s 10) and an empty lagtgt"
  cdc_sql "SELECT pg_drop_replication_slot('bench_lag') FROM pg_replication_slots WHERE slot_name = 'bench_lag'" postgres >/dev/null
  cdc_sql "DROP DATABASE IF EXISTS lagsrc WITH (FORCE)" postgres
  cdc_sql "CREATE DATABASE lagsrc" postgres
  tgt_sql "DROP DATABASE IF EXISTS lagtgt WITH (FORCE)" postgres
  tgt_sql "CREATE DATABASE lagtgt" postgres
  pgbench -i -q -s 10 -h "$HOST" -p "$CDC_PORT" -U postgres lagsrc > "$w/init.log" 2>&1 || { log "pgbench -i failed"; return 1; }
  cdc_sql "ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
           CREATE TABLE lag_probe (id bigint PRIMARY KEY, t0 timestamptz NOT NULL)" lagsrc
  cat > "$w/lag.lua" <<EOF
return {
  name = "bench-lag",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = env "LAG_SRC", slot = "bench_lag", publication = "bench_lag" },
  target = { plugin = "sink-pg", conninfo = env "LAG_TGT", checkpoint_key = "bench-lag" },
  settings = { MaxFullLoadSubTasks = 2 },
}
EOF
  export LAG_SRC=$SRC LAG_TGT=$TGT
  ( cd "$w" && exec /usr/bin/time -v -o "$w/time.txt" "$SLUICE" run --no-progress --state-dir "$w/state" lag.lua > "$w/sluice.log" 2>&1 ) &
  sp=$!
  for i in $(seq 1 600); do
    phase=$(jq -r .phase "$w/state/status.json" 2>/dev/null)
    [ "$phase" = cdc ] && break
    kill -0 $sp 2>/dev/null || break
    sleep 0.5
  done
  [ "$phase" = cdc ] || { log "sluice did not reach cdc (phase $phase)"; tail "$w/sluice.log" >&2
                          kill "$(jq -r .pid "$w/state/status.json" 2>/dev/null)" 2>/dev/null; wait $sp; return 1; }
  log "  streaming; pgbench -R $tps -T $LAG_SECONDS -c 2 -j 2 and a probe every 0.1 s"
  # the poller: one target session, max(id) every ~20 ms, stamped by the target's clock
  ( while [ ! -e "$w/stop" ]; do
      echo "SELECT extract(epoch FROM clock_timestamp()) || ' ' || coalesce(max(id), 0) FROM lag_probe;"
      sleep 0.02
    done | psql -X -q -At "$TGT" > "$w/poll.txt" 2>"$w/poll.err" ) &
  pp=$!
  # status-file lag, sampled every second
  ( while [ ! -e "$w/stop" ]; do jq -r '.lag_seconds // empty' "$w/state/status.json" 2>/dev/null; sleep 1; done > "$w/status_lag.txt" ) &
  pgbench -n -R "$tps" -T "$LAG_SECONDS" -c 2 -j 2 -h "$HOST" -p "$CDC_PORT" -U postgres lagsrc > "$w/pgbench.log" 2>&1 &
  wp=$!
  for i in $(seq 1 "$n"); do echo "INSERT INTO lag_probe VALUES ($i, clock_timestamp());"; sleep 0.1; done \
    | psql -X -q "$SRC" > "$w/probe.log" 2>&1
  wait $wp || log "pgbench failed: $(tail -3 "$w/pgbench.log")"
  for i in $(seq 1 600); do
    [ "$(tgt_sql "SELECT coalesce(max(id), 0) FROM lag_probe" lagtgt)" = "$n" ] && break
    sleep 0.1
  done
  sleep 0.5; touch "$w/stop"; wait $pp
  # SIGTERM to sluice itself (its pid is in the status file; $sp is /usr/bin/time)
  kill -TERM "$(jq -r .pid "$w/state/status.json")"; wait $sp || rc=$?
  [ $rc = 0 ] || log "sluice exited $rc"
  # lag per probe
  cdc_sql "SELECT id || ' ' || extract(epoch FROM t0) FROM lag_probe ORDER BY id" lagsrc > "$w/probes.txt"
  local stats rss peak tpsr st changes ok
  stats=$(awk 'NR == FNR { seen_t[NR] = $1; seen_m[NR] = $2; np = NR; next }
      { while (j < np && seen_m[j+1] < $1) j++
        if (j < np) { print (seen_t[j+1] - $2) * 1000 } }' "$w/poll.txt" "$w/probes.txt" | sort -g |
    awk '{a[NR] = $1; s += $1} END { if (NR) printf "%d %.0f %.0f %.0f %.0f", NR, a[int(NR*0.5+0.5)], a[int(NR*0.99+0.5)], a[NR], s/NR; else print "0 - - - -" }')
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2/1024 }' "$w/time.txt")
  peak=$(jq -r '.memory.peak_rss_bytes // .peak_rss_bytes // 0' "$w/state/status.json" 2>/dev/null | awk '{printf "%.1f", $1/1048576}')
  tpsr=$(awk '/^tps/ {printf "%.0f", $3}' "$w/pgbench.log")
  st=$(sort -g "$w/status_lag.txt" | awk '{a[NR]=$1} END { if (NR) printf "%.3f / %.3f", a[int(NR*0.5+0.5)], a[NR]; else print "-" }')
  ok=$( [ "$(cdc_sql "$(checksum_sql pgbench)" lagsrc)" = "$(tgt_sql "$(checksum_sql pgbench)" lagtgt)" ] && echo verified || echo DIFFERENT)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tps" "$tpsr" "$stats" "$rss" "$peak" "$st" "$ok" "$rc" >> "$LAG_TSV"
  log "  probes/p50/p99/max/mean ms: $stats; sluice peak RSS $rss MiB; status lag p50/max $st; $ok"
  ( cd "$w" && "$SLUICE" cleanup --state-dir "$w/state" lag.lua > "$w/cleanup.log" 2>&1 ) || log "cleanup failed: $(cat "$w/cleanup.log")"
  cdc_sql "DROP DATABASE IF EXISTS lagsrc WITH (FORCE)" postgres
  tgt_sql "DROP DATABASE IF EXISTS lagtgt WITH (FORCE)" postgres
}
if [ "$LAG" = 1 ]; then
  : > "$LAG_TSV"
  for tps in $LAG_TPS; do lag_run "$tps"; done
fi

# ---------------------------------------------------------------- report
echo
echo "## PG -> PG change capture: sluice vs pg_recvlogical and pgcopydb follow ($(date -u +%FT%TZ))"
echo
echo "sluice: $(sluice_version)"
if [ -s "$RESULTS_DIR/pg_cdc_results.tsv" ] && [ "$CATCHUP" = 1 ]; then
  cat "$RESULTS_DIR/pg_cdc_workload.txt" 2>/dev/null
  T=$RESULTS_DIR/pg_cdc_results.tsv
  get() { awk -F'\t' -v t="$1" -v c="$2" 'NR > 1 && $1 == "cdc_limits" && $2 == t { print $c }' "$T"; }
  eng=$(get "engine cdc" 5)
  echo
  echo "| tool | runs | median s | min / max s | changes/s | WAL MB/s | status | sluice time / tool time |"
  echo "|---|---|---|---|---|---|---|---|"
  for tool in "pg_recvlogical pgoutput" "pgcopydb follow" "engine cdc"; do
    label=$tool; [ "$tool" = "engine cdc" ] && label="**sluice** (cdc-only, --until ENDPOS, apply to target)"
    [ -n "$(get "$tool" 2)" ] || { echo "| $label | - | not run | | | | | |"; continue; }
    printf '| %s | %s | %s | %s / %s | %s | %s | %s | %s |\n' "$label" "$(get "$tool" 4)" "$(get "$tool" 5)" "$(get "$tool" 6)" "$(get "$tool" 7)" \
      "$(get "$tool" 10)" "$(get "$tool" 11)" "$(get "$tool" 12)" "$( [ "$tool" = "engine cdc" ] && echo - || ratio "$eng" "$(get "$tool" 5)")"
  done
  echo
  pgo=$(get "pg_recvlogical pgoutput" 5)
  echo "target: sluice apply rate >= 1/3 of pg_recvlogical's decode rate, i.e. sluice time <= 3 x $pgo s: sluice/pgoutput = $(ratio "$eng" "$pgo")"
  echo "sluice catch-up runs (wall s, peak RSS): $(awk -F'\t' '$2 == "cdc" { printf "%s s %.1f MiB; ", $4, $5/1024 }' "$ENGINE_LOG")"
fi
if [ "$LAG" = 1 ] && [ -s "$LAG_TSV" ]; then
  echo
  echo "### end-to-end lag at a steady rate ($LAG_SECONDS s, pgbench -R, -c 2; a probe every 0.1 s; poll every ~20 ms)"
  echo
  echo "| pgbench tps asked / got | probes | lag p50 ms | p99 ms | max ms | mean ms | status-file lag p50 / max s | sluice peak RSS MiB (time -v / status) | content |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ split($3, s, " "); printf "| %s / %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n", $1, $2, s[1], s[2], s[3], s[4], s[5], $6, $4, $5, $7 }' "$LAG_TSV"
fi
log "pg_cdc done in $(( $(date +%s) - T0 ))s"
