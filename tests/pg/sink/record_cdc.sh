#!/usr/bin/env bash
# error_policy = record in CDC: the target tables exist with CHECK (n1 % 13 <> 0).
# Inserts and updates whose n1 breaks it are recorded with the position of their
# source transaction's COMMIT; the rest of each transaction is applied and the
# checkpoint moves on. A kill -9 once rows were recorded in CDC, then a restart:
# the target and the errors table equal what sinkpg-reject-model computes from
# the generator's model, so no rejected change is missing or recorded twice.
. "$(dirname "$0")/common.sh"
MODEL=${1:?usage: record_cdc.sh SINKPG-REJECT-MODEL}
make_db record_cdc

MOD=13 TXNS=6000
sql "CREATE SCHEMA gen"
for t in t1 t2 t3; do
  sql "CREATE TABLE gen.$t (id bigint PRIMARY KEY,
                            n1 bigint NOT NULL CONSTRAINT n1_not_$MOD CHECK (n1 % $MOD <> 0),
                            s1 text NOT NULL, n2 bigint, s2 text)"
done
gen="tables = 3, rows = 2000, columns = 5, special_text = true, txns = $TXNS, ops_per_txn = 4, history = 40, chunk_rows = 500"
args=(--tables 3 --rows 2000 --columns 5 --special-text --txns $TXNS --ops-per-txn 4 --history 40)
write_pipeline cdc.lua full-load-and-cdc "$gen" \
  'error_policy = "record", error_threshold = 100000, max_group_rows = 200' \
  'TargetTablePrepMode = "DO_NOTHING", BatchRows = 256, FullLoadChunkRows = 500, MaxFullLoadSubTasks = 2, FlushIntervalMs = 20'

cdc_recorded() { sql "SELECT count(*) FROM sluice.sluice_errors WHERE phase = 'cdc'" 2>/dev/null || echo 0; }

# Kill once 100 rows rejected in CDC are committed, long before the stream ends.
"$SLUICE" run cdc.lua > run1.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(cdc_recorded)" -ge 100 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$pid" 2>/dev/null || { cat run1.log; fail "the run ended before the kill"; }
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
before=$(cdc_recorded) at=$(checkpoint_txn)
[ "$before" -gt 0 ] && [ "$at" -gt 40 ] && [ "$at" -lt "$TXNS" ] ||
  fail "killed with $before rows recorded in CDC at txn $at: not in the middle of the stream"
pass "kill -9 in CDC at txn $at with $before rejected changes recorded"

"$SLUICE" run cdc.lua > run2.log 2>&1 || { cat run2.log; fail "the restart exited $?"; }
grep -q "streaming from txn/$at" run2.log || { cat run2.log; fail "the restart did not resume at txn/$at"; }
[ "$(checkpoint_txn)" = "$TXNS" ] || fail "checkpoint is txn $(checkpoint_txn), expected $TXNS"
pass "the restart resumed at txn/$at and ended with the checkpoint at txn/$TXNS"

"$MODEL" --mod $MOD "${args[@]}" > expect.out || fail "sinkpg-reject-model failed"
dump_target > target.out
cmp -s expect.out target.out || { diff expect.out target.out | head -20 >&2; fail "the target differs from the model"; }
pass "the target holds every change but the rejected ones ($(wc -l < target.out) rows)"

# Updates and deletes of rows that are not there (rejected inserts) are counted once each,
# even where a rolled-back window ran them twice.
missing=$("$MODEL" --mod $MOD --missing-from "$at" "${args[@]}")
counted=$(grep -o '"rows_missing": [0-9]*' .sluice/cdc/status.json | head -1 | grep -o '[0-9]*$' || echo 0)
[ "$missing" -gt 0 ] && [ "$counted" = "$missing" ] ||
  fail "the restart counted rows_missing = $counted, the model says $missing"
pass "the restart counted $counted updates and deletes that found no row, as the model does"

"$MODEL" --mod $MOD --rejected "${args[@]}" | LC_ALL=C sort > rejected.out
sql "SELECT phase, table_schema || '.' || table_name, coalesce(new_row->>'id', old_key->>'id'), operation,
            coalesce(('x' || encode(position, 'hex'))::bit(64)::bigint::text, '-')
     FROM sluice.sluice_errors" | tr '|' '\t' | LC_ALL=C sort > recorded.out
cmp -s rejected.out recorded.out ||
  { diff rejected.out recorded.out | head -20 >&2; fail "the errors table differs from the rejected changes"; }
[ "$(sql "SELECT count(*) FROM sluice.sluice_errors WHERE (new_row->>'n1')::bigint % $MOD <> 0
                 OR source_xid <> ('x' || encode(position, 'hex'))::bit(64)::bigint + 1000")" = 0 ] ||
  fail "a recorded row does not break the CHECK, or its xid does not match its position"
pass "the errors table holds each rejected change once: $(grep -c ^cdc rejected.out) in CDC with their COMMIT's position, $(grep -c ^full-load rejected.out) in the full load"
finish
