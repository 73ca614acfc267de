#!/usr/bin/env bash
# Full load and CDC into PostgreSQL: inserts, updates (some with UNCHANGED
# values), deletes; the checkpoint row holds the last position, in the same
# transactions as the data; a restart resumes from it.
. "$(dirname "$0")/common.sh"
make_db cdc

gen='tables = 3, rows = 2000, columns = 6, special_text = true, txns = 3000, ops_per_txn = 4, history = 40, chunk_rows = 500'
args=(--tables 3 --rows 2000 --columns 6 --special-text --ops-per-txn 4 --history 40)
write_pipeline cdc.lua full-load-and-cdc "$gen" '' \
  'BatchRows = 256, FullLoadChunkRows = 500, MaxFullLoadSubTasks = 2'
"$SLUICE" run cdc.lua > run.log 2>&1 || { cat run.log; fail "run exited $?"; }
check_target "${args[@]}" --txns 3000
pass "snapshot at txn 40 + stream of txns 41..3000: the target equals the source"

[ "$(checkpoint_txn)" = 3000 ] || fail "checkpoint is txn $(checkpoint_txn), expected 3000"
[ "$(sql "SELECT length(position) FROM sluice.sluice_checkpoint")" = 8 ] || fail "position is not 8 bytes"
grep -q '"committed_position": "txn/3000"' .sluice/cdc/status.json || fail "status shows another committed position"
pass "the checkpoint row holds txn/3000 as 8 big-endian bytes"

# The sink's counters: several source transactions per target transaction.
commits=$(grep -o '"commits": [0-9]*' .sluice/cdc/status.json | head -1 | grep -o '[0-9]*$' || true)
[ -n "$commits" ] && [ "$commits" -ge 1 ] && [ "$commits" -lt 2960 ] ||
  fail "expected grouped commits, status says commits = ${commits:-none}"
pass "2960 source transactions went into $commits target transactions"

# Restart with a longer stream: resumes after txn 3000, nothing applied twice.
write_pipeline cdc.lua full-load-and-cdc "${gen/txns = 3000/txns = 3500}" '' 'BatchRows = 256'
"$SLUICE" run cdc.lua > run2.log 2>&1 || { cat run2.log; fail "second run exited $?"; }
grep -q "streaming from txn/3000" run2.log || { cat run2.log; fail "the restart did not resume at txn/3000"; }
check_target "${args[@]}" --txns 3500
[ "$(checkpoint_txn)" = 3500 ] || fail "checkpoint is txn $(checkpoint_txn), expected 3500"
pass "a restart resumes from the target's checkpoint (txns 3001..3500 only)"

# Small groups: commit at every source COMMIT once one change is in the group.
make_db cdc_groups
rm -rf .sluice
write_pipeline g.lua full-load-and-cdc 'tables = 2, rows = 300, txns = 400, ops_per_txn = 3' \
  'max_group_rows = 1, checkpoint_key = "groups"' 'BatchRows = 1000, FlushIntervalMs = 60000'
"$SLUICE" run g.lua > g.log 2>&1 || { cat g.log; fail "group run exited $?"; }
check_target --tables 2 --rows 300 --txns 400 --ops-per-txn 3
[ "$(checkpoint_txn groups)" = 400 ] || fail "checkpoint \"groups\" is txn $(checkpoint_txn groups)"
commits=$(grep -o '"commits": [0-9]*' .sluice/g/status.json | head -1 | grep -o '[0-9]*$')
[ "$commits" = 400 ] || fail "max_group_rows = 1 gave $commits commits for 400 transactions"
pass "max_group_rows = 1 commits each source transaction on its own, under its own key"
finish
