#!/usr/bin/env bash
# error_threshold: with error_policy = record, a table whose rejected rows
# would exceed it stops the run (FATAL, exit 6) with a message naming the table
# and the threshold, in the full load and in CDC. In CDC the rows recorded in
# committed transactions stay (up to the threshold) and the checkpoint stands
# before the transaction that went over; a rerun stops at the same change until
# the threshold is raised.
. "$(dirname "$0")/common.sh"
make_db record_threshold

run_expect() { # run_expect CODE LOG PIPELINE
  local rc=0
  "$SLUICE" run "$3" > "$2" 2>&1 || rc=$?
  [ "$rc" = "$1" ] || { cat "$2"; fail "$3 exited $rc, expected $1"; }
}
create_table() { # create_table CHECK
  sql "DROP SCHEMA IF EXISTS gen CASCADE; CREATE SCHEMA gen;
       CREATE TABLE gen.t1 (id bigint PRIMARY KEY, n1 bigint NOT NULL CONSTRAINT n1_check CHECK ($1),
                            s1 text NOT NULL, n2 bigint)"
}

# Full load: 2000 rows, about 150 of them rejected; the first batch already has more than 3.
create_table 'n1 % 13 <> 0'
write_pipeline load.lua full-load 'tables = 1, rows = 2000' 'error_policy = "record", error_threshold = 3' \
  'TargetTablePrepMode = "DO_NOTHING", BatchRows = 300'
run_expect 6 load.log load.lua
grep -q 'error: .*too many rejected rows for table "gen.t1": error_threshold is 3' load.log &&
  grep -q 'detail: The table has 3 rejected rows in table "sluice.sluice_errors" for pipeline "default", counting those the failed transaction would have added; one more, an insert, failed: new row for relation "t1" violates check constraint "n1_check". None of the rows of its batch were committed.' load.log &&
  grep -q 'hint: .*raise error_threshold' load.log || { cat load.log; fail "full load: unclear message"; }
[ "$(sql "SELECT count(*) FROM sluice.sluice_errors")" -le 3 ] || fail "more than 3 rows recorded"
pass "full load: the 4th rejected row stops the run (exit 6), naming the table and the threshold"

# CDC: only inserted rows (id > 300) can be rejected; each source transaction commits alone.
make_db record_threshold_cdc
rm -rf .sluice
create_table 'id <= 300 OR n1 % 13 <> 0'
gen='tables = 1, rows = 300, txns = 2000, ops_per_txn = 3'
write_pipeline cdc.lua full-load-and-cdc "$gen" 'error_policy = "record", error_threshold = 3, max_group_rows = 1' \
  'TargetTablePrepMode = "DO_NOTHING", FlushIntervalMs = 10'
run_expect 6 cdc.log cdc.lua
grep -q 'too many rejected rows for table "gen.t1": error_threshold is 3' cdc.log &&
  grep -q 'one more, an [a-z]* in source transaction [0-9]*, failed: new row for relation "t1" violates' cdc.log ||
  { cat cdc.log; fail "CDC: unclear message"; }
over=$(sed -n 's/.*one more, an [a-z]* in source transaction \([0-9]*\), failed.*/\1/p' cdc.log | head -1)
recorded=$(sql "SELECT count(*) FROM sluice.sluice_errors WHERE phase = 'cdc'")
last=$(sql "SELECT max(source_xid) FROM sluice.sluice_errors")
at=$(checkpoint_txn)
[ "$recorded" -ge 1 ] && [ "$recorded" -le 3 ] && [ "$((at + 1000))" -lt "$over" ] &&
  [ "$last" -le "$((at + 1000))" ] ||
  fail "CDC: $recorded rows recorded (last in xid $last), checkpoint at txn $at, over in xid $over"
pass "CDC: stops in source transaction $over with $recorded rows recorded before and the checkpoint at txn $at"

run_expect 6 again.log cdc.lua
grep -q "one more, an [a-z]* in source transaction $over, failed" again.log || { cat again.log; fail "a rerun did not stop at the same change"; }
[ "$(sql "SELECT count(*) FROM sluice.sluice_errors")" = "$recorded" ] || fail "a rerun recorded rows again"
write_pipeline cdc.lua full-load-and-cdc "$gen" 'error_policy = "record", error_threshold = 1000, max_group_rows = 1' \
  'TargetTablePrepMode = "DO_NOTHING", FlushIntervalMs = 10'
run_expect 0 raised.log cdc.lua
[ "$(checkpoint_txn)" = 2000 ] && [ "$(sql "SELECT count(*) FROM sluice.sluice_errors")" -gt 3 ] &&
  [ "$(sql "SELECT count(*) FROM sluice.sluice_errors GROUP BY operation, new_row::text, position HAVING count(*) > 1")" = "" ] ||
  fail "after raising error_threshold the stream did not finish cleanly"
pass "a rerun stops at the same change; with error_threshold raised it goes on to the end"
finish
