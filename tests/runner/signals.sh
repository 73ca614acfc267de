#!/usr/bin/env bash
# SIGTERM/SIGINT stop gracefully (exit 0, committed stays committed); a second
# signal stops at once (exit 130); both are safe to restart.
. "$(dirname "$0")/common.sh"

gen='tables = 2, rows = 500, txns = 4000, ops_per_txn = 3, idle = true'
args=(--tables 2 --rows 500 --txns 4000 --ops-per-txn 3)
write_pipeline sig.lua full-load-and-cdc "$gen" 'path = "sig.journal", delay_ms = 3' 'BatchRows = 100'

wait_for_cdc() { # until the status file says cdc
  for _ in $(seq 1 100); do
    grep -q '"phase": "cdc"' .sluice/sig/status.json 2>/dev/null && return 0
    sleep 0.1
  done
  fail "pipeline never reached cdc"
}

"$SLUICE" run sig.lua > run1.log 2>&1 &
pid=$!
wait_for_cdc
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat run1.log; fail "SIGTERM exit code $rc, expected 0"; }
grep -q "stopped by signal" run1.log || fail "no graceful-stop message"
"$REPLAY" sig.journal > /dev/null || fail "journal inconsistent after SIGTERM"
pass "SIGTERM during CDC: exit 0, journal consistent"

"$SLUICE" run sig.lua > run2.log 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"; sleep 0.05; kill -INT "$pid" 2>/dev/null || true
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 130 ] || fail "double SIGINT exit code $rc"
"$REPLAY" sig.journal > /dev/null || fail "journal inconsistent after double SIGINT"
pass "double SIGINT: exit $rc, journal consistent"

# Finish with --until the last transaction (the source is idle after it).
"$SLUICE" run --until 4000 sig.lua > run3.log 2>&1 || { cat run3.log; fail "--until run exited $?"; }
check_state sig.journal "${args[@]}"
pass "restart with --until 4000 converges to the source"
finish
