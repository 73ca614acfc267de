#!/usr/bin/env bash
# s3_kill_resume: kill -9 during change capture, three times, then a run to the end of
# the stream: replayed in checkpoint order, the change files hold every change exactly
# once (s3_replay.py fails on a range written twice, a gap or a fork) and end equal to
# the generator's tables. Also: s3rver stopped mid-run, the sink retries, the core
# reopens it, and the run catches up once s3rver is back.
source "$(dirname "$0")/common.sh"
GEN="tables = 3, rows = 500, txns = 1000000, ops_per_txn = 4"
ARGS=(--tables 3 --rows 500 --txns 1000000 --ops-per-txn 4)

make_bucket kill
# idle: the killed runs never reach the end of the stream by themselves
write_pipeline kill.lua full-load-and-cdc "$GEN, idle = true" "cdcMaxBatchInterval = 0" "FlushIntervalMs = 200"
before=0
for delay in 1.5 1.2 1.2; do
  "$SLUICE" run kill.lua > run.log 2>&1 &
  pid=$!
  sleep $delay
  kill -9 "$pid" 2>/dev/null || fail "the run ended before the kill"
  wait "$pid" 2>/dev/null || true
  n=$(find "$S3_DATA/kill/out/gen" -name '20*._S3rver_object' | wc -l)
  echo "    kill -9 after ${delay}s: $n change files so far"
  before=$n
done
[ "$before" -gt 0 ] || fail "no change file was written before the kills"
write_pipeline kill.lua full-load-and-cdc "$GEN" "cdcMaxBatchInterval = 0" "FlushIntervalMs = 200"
"$SLUICE" run kill.lua > final.log 2>&1 || { tail -20 final.log; fail "final run"; }
check_bucket "" "${ARGS[@]}"
pass "kill -9 three times, then to the end: every change once"

make_bucket down
write_pipeline down.lua full-load-and-cdc "tables = 2, rows = 500, txns = 1500000" \
  "cdcMaxBatchInterval = 0, max_retries = 3" "RetryLimit = 20"
"$SLUICE" run down.lua > down.log 2>&1 &
pid=$!
sleep 1
bash "$S3_TESTS/s3rver.sh" stop "$S3_DIR"
sleep 3
bash "$S3_TESTS/s3rver.sh" restart "$S3_DIR" "$S3_PORT"
wait "$pid" || { tail -20 down.log; fail "the run did not catch up after s3rver came back"; }
grep -q "retrying" down.log || fail "no retries were logged while s3rver was down"
check_bucket "" --tables 2 --rows 500 --txns 1500000
pass "s3rver down mid-run: retries, then catches up"
finish
