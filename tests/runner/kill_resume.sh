#!/usr/bin/env bash
# kill -9 at arbitrary moments (during the full load and during CDC), then
# restart: the target converges to the source, nothing lost, nothing doubled.
. "$(dirname "$0")/common.sh"

gen='tables = 4, rows = 30000, txns = 20000, ops_per_txn = 5, history = 10, chunk_rows = 8000'
args=(--tables 4 --rows 30000 --txns 20000 --ops-per-txn 5 --history 10)
gen="$gen, ack_log = \"acks.log\""
write_pipeline kr.lua full-load-and-cdc "$gen" 'path = "kr.journal", delay_ms = 4' \
  'BatchRows = 200, FullLoadChunkRows = 8000, MaxFullLoadSubTasks = 2, FlushIntervalMs = 5'

phase() { grep -o '"phase": "[a-z-]*"' .sluice/kr/status.json 2>/dev/null | cut -d'"' -f4; }

# Kills 1-3 land during the full load; later ones wait until the run is in CDC,
# then strike at a different moment each time.
load_kills=0 cdc_kills=0
for attempt in $(seq 1 25); do
  "$SLUICE" run kr.lua >> run.log 2>&1 &
  pid=$!
  if [ "$attempt" -le 3 ]; then
    sleep "0.$(( attempt * 2 + 1 ))"
  else
    for _ in $(seq 1 300); do
      [ "$(phase)" = cdc ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    sleep "0.$(( (attempt * 37) % 7 + 1 ))"
  fi
  if kill -0 "$pid" 2>/dev/null; then
    was=$(phase)
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$was" = cdc ]; then cdc_kills=$((cdc_kills + 1)); else load_kills=$((load_kills + 1)); fi
    "$REPLAY" kr.journal > /dev/null || fail "journal inconsistent after a kill -9 in phase $was"
    # The source was never told to release more than the target had committed.
    acked=$( (sort -n acks.log 2>/dev/null || true) | tail -1); acked=${acked:-0}
    committed=$( (grep $'^C\t' kr.journal || true) | tail -1 | cut -f2); committed=$(( ${committed:-1000} - 1000 ))
    [ "$acked" -le "$committed" ] || fail "source acknowledged txn/$acked but the target has only txn/$committed"
  else
    wait "$pid" || { tail -20 run.log; fail "run exited non-zero"; }
    break
  fi
done
[ "$load_kills" -ge 1 ] && [ "$cdc_kills" -ge 3 ] ||
  fail "kills: $load_kills during the full load, $cdc_kills during CDC; the test did not exercise resume"
kills="$load_kills during the full load and $cdc_kills during CDC"
# Let the last run finish whatever is left.
"$SLUICE" run kr.lua >> run.log 2>&1 || { tail -20 run.log; fail "final run exited $?"; }
check_state kr.journal "${args[@]}"
pass "after $kills kill -9s and restarts the target equals the source"
[ -s acks.log ] || fail "the source was never acknowledged"
pass "acknowledgements never passed the target's committed position ($(wc -l < acks.log) acks checked)"
grep -q "resuming after it" run.log || fail "no run ever resumed CDC after a finished full load"
pass "runs resumed both the full load and the change stream"
finish
