#!/usr/bin/env bash
# Full load of several tables, some split into chunks, several at a time.
. "$(dirname "$0")/common.sh"

write_pipeline load.lua full-load \
  'tables = 5, rows = 20000, chunk_rows = 3000' \
  'path = "load.journal"' \
  'MaxFullLoadSubTasks = 3, BatchRows = 512, FullLoadChunkRows = 3000'
"$SLUICE" run load.lua > run.log 2>&1 || { cat run.log; fail "full load exited $?"; }
check_state load.journal --tables 5 --rows 20000 --upto 0
pass "5 tables x 20000 rows loaded in chunks, identical to the source"

grep -q '"state": "loaded"' .sluice/load/progress.json || fail "progress.json does not mark tables loaded"
[ "$(grep -c '"state": "loaded"' .sluice/load/progress.json)" = 5 ] || fail "not all 5 tables loaded in progress.json"
pass "progress.json records every table as loaded"

# A second run has nothing to do and leaves the target alone.
"$SLUICE" run load.lua > run2.log 2>&1 || fail "second run exited $?"
grep -q "already complete" run2.log || fail "second run did not say the load was complete"
check_state load.journal --tables 5 --rows 20000 --upto 0
pass "a rerun of a finished full load changes nothing"
finish
