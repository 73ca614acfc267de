#!/usr/bin/env bash
# Failures end in one clear error with context, the documented exit code, and
# no lost data: what was committed stays, a rerun finishes the job.
. "$(dirname "$0")/common.sh"

# A sink that rejects a write: the table fails, the others load, exit 8.
write_pipeline e1.lua full-load 'tables = 3, rows = 3000' 'path = "e1.journal", fail_at = 2' \
  'BatchRows = 1000, MaxFullLoadSubTasks = 1'
rc=0; "$SLUICE" run e1.lua > e1.log 2>&1 || rc=$?
[ "$rc" = 8 ] || { cat e1.log; fail "exit code $rc, expected 8 (some tables failed)"; }
grep -q '^error: sink "capture", in the write_rows callback, table "gen.t1"' e1.log ||
  { cat e1.log; fail "error line lacks plugin/callback/table context"; }
grep -q '"state": "error"' .sluice/e1/status.json || fail "status file does not show the failed table"
pass "rejected write: exit 8, error names sink, callback and table, status shows it"
# Rerun without the fault: only the failed table loads again.
write_pipeline e1.lua full-load 'tables = 3, rows = 3000' 'path = "e1.journal"' 'BatchRows = 1000'
"$SLUICE" run e1.lua > e1b.log 2>&1 || { cat e1b.log; fail "rerun exited $?"; }
check_state e1.journal --tables 3 --rows 3000 --upto 0
pass "rerun reloads the failed table; the target equals the source"

# A fatal sink error during CDC: exit 6, the checkpoint holds, a rerun completes.
gen='tables = 2, rows = 100, txns = 500'
write_pipeline e2.lua full-load-and-cdc "$gen" 'path = "e2.journal", fail_at = 5, fail_fatal = true' 'BatchRows = 50'
rc=0; "$SLUICE" run e2.lua > e2.log 2>&1 || rc=$?
[ "$rc" = 6 ] || { cat e2.log; fail "exit code $rc, expected 6 (target failed)"; }
write_pipeline e2.lua full-load-and-cdc "$gen" 'path = "e2.journal"' 'BatchRows = 50'
"$SLUICE" run e2.lua > e2b.log 2>&1 || { cat e2b.log; fail "rerun exited $?"; }
check_state e2.journal --tables 2 --rows 100 --txns 500
pass "fatal sink error: exit 6; rerun resumes and converges"

# A source error mid-table.
write_pipeline e3.lua full-load 'tables = 1, rows = 5000, fail_at_row = 2500' 'path = "e3.journal"' 'BatchRows = 1000'
rc=0; "$SLUICE" run e3.lua > e3.log 2>&1 || rc=$?
[ "$rc" = 8 ] || [ "$rc" = 5 ] || { cat e3.log; fail "exit code $rc for a source error"; }
grep -q '^error: source "generator", in the read_chunk callback, table "gen.t1"' e3.log ||
  { cat e3.log; fail "source error lacks context"; }
pass "source error: exit $rc with context"

# Unknown plugin: the places searched are listed.
cat > e4.lua <<'LUA'
return { mode = "full-load", source = { plugin = "nosuch" }, target = { plugin = "capture", path = "x" } }
LUA
rc=0; "$SLUICE" run e4.lua > e4.log 2>&1 || rc=$?
[ "$rc" = 4 ] || { cat e4.log; fail "exit code $rc for a missing plugin"; }
grep -q 'could not find plugin "nosuch"' e4.log || { cat e4.log; fail "missing plugin message"; }
grep -q "$TEST_PLUGINS/nosuch.so" e4.log || { cat e4.log; fail "search path not listed"; }
pass "missing plugin: exit 4, lists the places it looked"
finish
