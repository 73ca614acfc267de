#!/usr/bin/env bash
# A plugin that loses its connection mid-stream (RETRY from apply): the core
# drops the session, reopens source and sink, and resumes from the target's
# checkpoint with backoff; nothing lost, nothing doubled. RetryLimit bounds it.
. "$(dirname "$0")/common.sh"

gen='tables = 2, rows = 300, txns = 3000, ops_per_txn = 3'
args=(--tables 2 --rows 300 --txns 3000 --ops-per-txn 3)
write_pipeline rc.lua full-load-and-cdc "$gen" \
  'path = "rc.journal", retry_at = 40, retry_marker = "rc.marker"' 'BatchRows = 50, FlushIntervalMs = 10'
"$SLUICE" run rc.lua > rc.log 2>&1 || { cat rc.log; fail "run exited $?"; }
[ -e rc.marker ] || fail "the simulated connection loss never happened"
grep -q 'warning: sink "capture", in the apply callback: capture lost its connection in apply (simulated); reconnecting in 100 ms (try 2 of 5)' rc.log ||
  { cat rc.log; fail "no reconnect warning"; }
check_state rc.journal "${args[@]}"
pass "lost sink connection mid-CDC: reconnected, resumed from the checkpoint, target equals source"

write_pipeline rl.lua full-load-and-cdc "$gen" \
  'path = "rl.journal", retry_at = 40, retry_marker = "rl.marker"' 'BatchRows = 50, RetryLimit = 1'
rc=0; "$SLUICE" run rl.lua > rl.log 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat rl.log; fail "exit $rc with RetryLimit = 1, expected 6 (target)"; }
grep -q '^error: change capture gave up after 1 tries to reconnect: sink "capture", in the apply callback' rl.log ||
  { cat rl.log; fail "give-up message"; }
"$REPLAY" rl.journal > /dev/null || fail "journal inconsistent after giving up"
pass "RetryLimit = 1: gives up at once with exit 6 and the reason; journal consistent"
finish
