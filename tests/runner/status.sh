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

"$SLUICE" --help | grep -q "exit codes" || fail "--help lacks exit codes"
pass "--help documents the exit codes"
finish
