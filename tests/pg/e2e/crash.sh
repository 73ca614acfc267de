#!/usr/bin/env bash
# PostgreSQL to PostgreSQL under fire: a pgbench workload writes throughout while
# sluice is killed with SIGKILL at 12 moments spread over the full load and CDC
# and restarted each time. After catch-up the target equals the source (row
# counts and per-row hashes of every table), and the slot's confirmed position was
# never ahead of the target's checkpoint.
. "$(dirname "$0")/common.sh"
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}

"$PGBENCH" -i -q -s 4 "$SRC" > /dev/null 2>&1
src -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
        CREATE TABLE marker (id int PRIMARY KEY, at timestamptz DEFAULT now())"
write_pipeline crash.lua full-load-and-cdc \
  'MaxFullLoadSubTasks = 2, FullLoadChunkRows = 100000, BatchRows = 2000, FlushIntervalMs = 50'

"$PGBENCH" -n -c 2 -T 600 -R 150 "$SRC" > pgbench.log 2>&1 & WORKLOAD=$!
BG_PIDS+=("$WORKLOAD")

phase() { { grep -o '"phase": "[a-z-]*"' ".sluice/crash/status.json" 2>/dev/null || true; } | cut -d'"' -f4; }
load_kills=0 cdc_kills=0
for i in $(seq 1 12); do
  "$SLUICE" run crash.lua >> run.log 2>&1 & pid=$!
  if [ "$i" -le 4 ]; then
    sleep "0.$((i * 2))"        # early: inside the full load
  else
    for _ in $(seq 200); do [ "$(phase)" = cdc ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    sleep "0.$(( (i * 37) % 8 + 1 ))"
  fi
  kill -0 $pid 2>/dev/null || { wait $pid; fail "sluice ended on its own (run $i): $(tail -3 run.log)"; }
  was=$(phase)
  kill -9 $pid; wait $pid 2>/dev/null || true
  if [ "$was" = cdc ]; then cdc_kills=$((cdc_kills + 1)); else load_kills=$((load_kills + 1)); fi
  slot=$(slot_lsn_num); ck=$(checkpoint_lsn_num)
  [ -z "$slot" ] || [ "$slot" -le "$ck" ] || [ "$ck" = 0 ] ||
    fail "after kill $i the slot confirmed $slot but the target checkpoint is $ck"
done
[ "$load_kills" -ge 2 ] && [ "$cdc_kills" -ge 6 ] || fail "kills: $load_kills in the full load, $cdc_kills in CDC"
pass "12 kill -9s ($load_kills in the full load, $cdc_kills in CDC); the slot never passed the target's checkpoint"

# Stop the workload, mark the end, and let a last run catch up to the marker.
kill "$WORKLOAD"; wait "$WORKLOAD" 2>/dev/null || true
src -c "INSERT INTO marker VALUES (1)"
"$SLUICE" run crash.lua >> run.log 2>&1 & pid=$!
for _ in $(seq 600); do [ "$(tgt -c 'SELECT count(*) FROM marker' 2>/dev/null)" = 1 ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid || fail "the last run exited $?"
same_tables || fail "target differs from the source"
pass "after catch-up every table is identical: $(awk -F'|' '{s += $2} END {print s}' source.digest) rows, $(wc -l < source.digest) tables"
finish
