# sluice check with a MongoDB source, against the MOCK MongoDB server
# (mock_mongod.py; no MongoDB server can run here): a standalone server
# (blocking for change capture, nothing for a full load), a user who may not
# open change streams (blocking), a short oplog (warning), an oplog that
# cannot be read (info), the largest collections and large documents (info),
# a collection whose sizes cannot be read (info); text and JSON output, exit
# status, and nothing created: the mock's command log holds only reads, the
# target's catalog is unchanged, no state directory.
. "$(dirname "$0")/common.sh"

# what the check may send: reads only (hello, finds, aggregates of
# $collStats / $changeStream, cursors)
READS='hello isMaster ismaster ping buildInfo listDatabases listCollections count find getMore killCursors aggregate endSessions'
catalog() { tgt -c "SELECT nspname FROM pg_namespace UNION ALL SELECT relname FROM pg_class ORDER BY 1"; }

# run_check PIPELINE EXPECTED_EXIT: text and JSON; nothing created anywhere.
run_check() {
  local before rc=0
  before=$(catalog)
  : > commands.log
  "$SLUICE" check "$1" > "${1%.lua}.txt" 2> run.log || rc=$?
  [ "$rc" = "$2" ] || { cat "${1%.lua}.txt" run.log; fail "$1: check exited $rc, expected $2"; }
  rc=0
  "$SLUICE" check --format json "$1" > "${1%.lua}.json" 2>> run.log || rc=$?
  [ "$rc" = "$2" ] || { cat "${1%.lua}.json" run.log; fail "$1: check --format json exited $rc, expected $2"; }
  [ "$(catalog)" = "$before" ] || fail "$1: the check changed the target's catalog"
  [ ! -e .sluice ] || fail "$1: the check made a state directory"
  "$PY" - "$READS" commands.log <<'PY' || fail "$1: the check sent more than reads: $(cat commands.log)"
import json, sys
reads = set(sys.argv[1].split())
for line in open(sys.argv[2]):
    cmd = json.loads(line)
    name = next(iter(cmd))
    assert name in reads, name
    if name == "aggregate":
        stage = next(iter(cmd["pipeline"][0]))
        assert stage in ("$collStats", "$changeStream"), stage
PY
  grep -q '^[0-9]* blocking, [0-9]* warnings\?, [0-9]* info$' "${1%.lua}.txt" || fail "$1: no counts line: $(cat "${1%.lua}.txt")"
}

# has JSON SEVERITY 'message regex' ['detail regex']: the JSON output holds such a finding.
has() {
  "$PY" - "$@" <<'PY' || { cat "$1"; fail "$1: no $2 finding matching: $3 ${4:-}"; }
import json, re, sys
path, sev, msg = sys.argv[1:4]
det = sys.argv[4] if len(sys.argv) > 4 else ""
found = json.load(open(path))
for f in found:
    assert set(f) == {"severity", "scope", "table", "message", "detail", "hint"}, f
sys.exit(0 if any(f["severity"] == sev and f["scope"] == "source" and re.search(msg, f["message"])
                  and re.search(det, f["detail"] or "") for f in found) else 1)
PY
}
# count JSON SEVERITY 'message regex': how many such findings
count() {
  "$PY" -c 'import json, re, sys; print(sum(1 for f in json.load(open(sys.argv[1]))
    if f["severity"] == sys.argv[2] and re.search(sys.argv[3], f["message"])))' "$@"
}
restart_mock() { kill -9 "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true; mock_start "$1"; }

# ---- a standalone server: blocking for change capture, nothing for a full load ----
BIG=$("$PY" -c 'import json; print(json.dumps([{"_id": i, "blob": "x" * 100000} for i in range(3)]))')
mock_start "{\"setName\": null, \"version\": \"6.0.4\", \"dbs\": {
  \"shop\": {\"items\": [{\"_id\": 1, \"v\": \"a\"}, {\"_id\": 2, \"v\": \"b\"}], \"blobs\": $BIG}}}"
write_pipeline sa.lua full-load-and-cdc
run_check sa.lua 10
has sa.json blocking '^change capture needs a replica set or a sharded cluster$' "Server \"127.0.0.1:$MOCK_PORT\" is a standalone server"
has sa.json info "^server \"127.0.0.1:$MOCK_PORT\" runs MongoDB 6.0.4$" 'It is a standalone server'
grep -q '^blocking: \[source\] change capture needs a replica set or a sharded cluster$' sa.txt || fail "text output: $(cat sa.txt)"
# sluice run stops with the same words
if "$SLUICE" run sa.lua > runsa.log 2>&1; then fail "run accepted a standalone server"; fi
grep -q '^error: .*change capture needs a replica set or a sharded cluster' runsa.log || fail "run: $(cat runsa.log)"
rm -rf .sluice # the run's, not a check's
write_pipeline fl.lua full-load
run_check fl.lua 0
[ "$(count fl.json blocking .)" = 0 ] || fail "a full load has blocking findings: $(cat fl.json)"
pass "standalone server: blocking for change capture (as sluice run says), exit 10; full load exit 0"

# ---- sizes: the largest collections, large documents ----
size=$("$PY" -c 'import bson, json; print(sum(len(bson.encode(d)) for d in json.load(open("state.json"))["dbs"]["shop"]["blobs"]))')
has fl.json info "^collection \"shop.blobs\" holds $size bytes$" 'Size number 1 of the selected collections: about 3 documents'
has fl.json info "^collection \"shop.blobs\" holds large documents: $(( size / 3 )) bytes on average$"
has fl.json info '^collection "shop.items" holds [0-9]+ bytes$' 'Size number 2 '
[ "$(count fl.json info 'shop.items.*large documents')" = 0 ] || fail "small documents called large"
pass "the largest collections with their \$collStats sizes; large documents (avgObjSize)"

# only the five largest of six
SIX=$("$PY" -c 'import json; print(json.dumps({"c%d" % n: [{"_id": i, "s": "y" * (100 * n)} for i in range(5)] for n in range(1, 7)}))')
restart_mock "{\"setName\": \"rs0\", \"dbs\": {\"six\": $SIX}}"
write_pipeline six.lua full-load
run_check six.lua 0
[ "$(count six.json info '^collection "six\.c[0-9]" holds [0-9]+ bytes$')" = 5 ] || fail "not five collections: $(cat six.json)"
has six.json info '^collection "six.c6" holds' 'Size number 1 '
[ "$(count six.json info '^collection "six\.c1" holds')" = 0 ] || fail "the smallest collection is listed"
pass "only the five largest collections, largest first"

# ---- change streams refused, a short oplog ----
NOW=1700000000
restart_mock "{\"setName\": \"rs0\", \"dbs\": {\"shop\": {\"items\": [{\"_id\": 1}]},
  \"local\": {\"oplog.rs\": [{\"ts\": {\"\$timestamp\": {\"t\": $(( NOW - 5400 )), \"i\": 1}}}, {\"ts\": {\"\$timestamp\": {\"t\": $NOW, \"i\": 3}}}]}},
  \"fail\": {\"aggregate\": {\"stage\": \"\$changeStream\", \"code\": 13, \"codeName\": \"Unauthorized\",
    \"errmsg\": \"not authorized on admin to execute command { aggregate: 1, pipeline: [ { \$changeStream: {} } ] }\"}}}"
write_pipeline rs.lua full-load-and-cdc
run_check rs.lua 10
has rs.json blocking "^cannot open a change stream on server \"127.0.0.1:$MOCK_PORT\"$" 'not authorized on admin.*\(error 13\)'
has rs.json warning "^the oplog of server \"127.0.0.1:$MOCK_PORT\" holds 1.5 hours of changes$" 'less than a day'
[ "$(count rs.json blocking 'replica set')" = 0 ] || fail "a replica set called standalone"
has rs.json info 'runs MongoDB 7.0.0-mock' 'member of replica set "rs0"'
grep -q '^hint: .*Grant the user the read role' rs.txt || fail "no privilege hint: $(cat rs.txt)"
pass "a user without changeStream: blocking with the server's error; a short oplog: warning"

# ---- a long oplog; the oplog unreadable; sizes unreadable ----
restart_mock "{\"setName\": \"rs0\", \"dbs\": {\"shop\": {\"items\": [{\"_id\": 1}]},
  \"local\": {\"oplog.rs\": [{\"ts\": {\"\$timestamp\": {\"t\": $(( NOW - 48 * 3600 )), \"i\": 1}}}, {\"ts\": {\"\$timestamp\": {\"t\": $NOW, \"i\": 1}}}]}}}"
run_check rs.lua 0
has rs.json info "^the oplog of server \"127.0.0.1:$MOCK_PORT\" holds 48.0 hours of changes$"
[ "$(count rs.json warning .)" = 0 ] || fail "warnings with a long oplog: $(cat rs.json)"
restart_mock "{\"setName\": \"rs0\", \"dbs\": {\"shop\": {\"items\": [{\"_id\": 1}], \"other\": [{\"_id\": 2}]}},
  \"fail\": {\"find\": {\"ns\": \"local.oplog.rs\", \"code\": 13, \"codeName\": \"Unauthorized\", \"errmsg\": \"not authorized on local\"},
             \"aggregate\": {\"stage\": \"\$collStats\", \"ns\": \"shop.other\", \"code\": 13, \"codeName\": \"Unauthorized\", \"errmsg\": \"not authorized on shop\"}}}"
run_check rs.lua 0
has rs.json info "^the oplog window of server \"127.0.0.1:$MOCK_PORT\" was not checked$" 'not authorized on local'
has rs.json info '^could not read the size of collection "shop.other"$' 'not authorized on shop'
has rs.json info '^collection "shop.items" holds'
pass "a day's oplog is info; an oplog or sizes the user may not read: info saying so"
finish
