#!/usr/bin/env bash
# kill -9 at arbitrary moments (during the full load and during CDC), then
# restart: the target converges to the source, nothing lost, nothing doubled.
. "$(dirname "$0")/common.sh"

gen='tables = 4, rows = 30000, txns = 6000, ops_per_txn = 5, history = 10, chunk_rows = 8000'
args=(--tables 4 --rows 30000 --txns 6000 --ops-per-txn 5 --history 10)
write_pipeline kr.lua full-load-and-cdc "$gen" 'path = "kr.journal", delay_ms = 2' \
  'BatchRows = 200, FullLoadChunkRows = 8000, MaxFullLoadSubTasks = 2, FlushIntervalMs = 5'

kills=0
for attempt in $(seq 1 40); do
  "$SLUICE" run kr.lua >> run.log 2>&1 &
  pid=$!
  # kill after 0.2 .. 1.4 s, a different moment each time
  sleep "0.$(( (attempt * 37) % 9 + 2 ))"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    "$REPLAY" kr.journal > /dev/null || fail "journal inconsistent after kill $kills"
  else
    wait "$pid" || { tail -20 run.log; fail "run exited non-zero"; }
    break
  fi
done
[ "$kills" -ge 3 ] || fail "only $kills kills happened; the test did not exercise resume"
# Let the last run finish whatever is left.
"$SLUICE" run kr.lua >> run.log 2>&1 || { tail -20 run.log; fail "final run exited $?"; }
check_state kr.journal "${args[@]}"
pass "after $kills kill -9s and restarts the target equals the source"
grep -q "resuming after it" run.log || fail "no run ever resumed CDC after a finished full load"
pass "runs resumed both the full load and the change stream"
finish
