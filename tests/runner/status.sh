#!/usr/bin/env bash
# sluice status reads the status file; --log-format json gives one JSON object per line.
. "$(dirname "$0")/common.sh"

write_pipeline st.lua full-load-and-cdc 'tables = 2, rows = 300, txns = 50' 'path = "st.journal"'
"$SLUICE" --log-format json run st.lua > st.log 2>&1 || { cat st.log; fail "run exited $?"; }
python3 - st.log <<'PY' || fail "log lines are not all JSON objects with level and message"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines
for l in lines:
    o = json.loads(l)
    assert "level" in o and "message" in o, l
PY
pass "--log-format json: every line is a JSON object"

"$SLUICE" status st > status.out || fail "sluice status exited $?"
grep -q '^phase: *done' status.out || { cat status.out; fail "status phase"; }
grep -Eq '^gen\.t1 +streaming +300 ' status.out || { cat status.out; fail "status table line"; }
"$SLUICE" status --json .sluice/st | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["tables"][0]["inserts"] >= 0 and s["phase"] == "done"' ||
  fail "status --json"
"$SLUICE" status st.lua > /dev/null || fail "status by pipeline file"
pass "sluice status by name, directory and pipeline file"

rc=0; "$SLUICE" status nosuch > ns.out 2>&1 || rc=$?
[ "$rc" = 9 ] && grep -q 'could not open file ".sluice/nosuch/status.json"' ns.out || { cat ns.out; fail "status of unknown pipeline"; }
pass "status of a pipeline that never ran: clear error, exit 9"

"$SLUICE" cleanup st.lua > cleanup.log 2>&1 || { cat cleanup.log; fail "cleanup exited $?"; }
grep -q 'source "generator": nothing to clean up' cleanup.log &&
  grep -q 'sink "capture": nothing to clean up' cleanup.log || { cat cleanup.log; fail "cleanup did not call both plugins"; }
[ ! -e .sluice/st/progress.json ] || fail "cleanup left progress.json"
"$SLUICE" run st.lua > rerun.log 2>&1 || { cat rerun.log; fail "run after cleanup exited $?"; }
# the capture sink keeps its journal (and so its checkpoint): the rerun resumes from it
grep -q "streaming from txn/50" rerun.log || { cat rerun.log; fail "a run after cleanup did not resume from the sink's checkpoint"; }
pass "sluice cleanup calls both plugins' cleanup and forgets the progress; the sink's checkpoint rules the rerun"

"$SLUICE" --help | grep -q "exit codes" || fail "--help lacks exit codes"
pass "--help documents the exit codes"
finish
