# Change streams from MONGO_BACKEND's server (common.sh) into a real
# PostgreSQL, the changes written through pymongo: insert, update (the
# looked-up document), replace, delete, an update whose document its own
# transaction deleted (the lookup finds nothing), an aborted transaction
# (nothing); the overlap with the full load applied as upserts; kill -9 and
# a restart that resumes from the stored resume token; drop, rename, and a
# restart after the rename once the target table is renamed too; and, with
# the mock server only, a resume point the oplog no longer holds (error 286)
# as a clear error.
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": "rs0", "dbs": {"shop": {
  "items": [{"_id": 1, "v": "one"}],
  "tmp": [{"_id": "t", "v": 0}]}}}'
# written before the load: in the loaded rows, and replayed as an upsert when
# the stream starts at or before it
mg insert shop items '{"_id": 2, "v": "two"}'

write_pipeline p1.lua full-load-and-cdc
start_cdc p1
tgt_is "SELECT count(*) FROM shop.items" 2 || fail "full load: $(tgt -c 'SELECT * FROM shop.items')"
pass "full load, then CDC from the recorded cluster time (an insert just before the load applied as an upsert)"

mg txn --abort <<'OPS'
insert shop items {"_id": 4, "v": "aborted"}
update shop items {"_id": 1} {"$set": {"v": "aborted"}}
OPS
mg insert shop items '{"_id": 3, "v": "three", "n": {"$numberLong": "9007199254740993"}}'
mg update shop items '{"_id": 1}' '{"$set": {"v": "ONE"}}'
mg replace shop items '{"_id": 2}' '{"w": "replaced"}'
mg txn <<'OPS'
update shop items {"_id": 3} {"$set": {"v": "x"}}
delete shop items {"_id": 3}
OPS
want='1:{"v": "ONE", "_id": 1}|2:{"w": "replaced", "_id": 2}'
q="SELECT string_agg(_id || ':' || doc::text, '|' ORDER BY _id) FROM shop.items"
wait_for 60 tgt_is "$q" "$want" || fail "after the changes: $(tgt -c "$q")"
pass "insert, update (looked-up document), replace, delete; an update whose document its transaction deleted; an aborted transaction left nothing"

if mock_only "the mock's events of a transaction: one clusterTime, lsid and txnNumber, a token each"; then
  "$PY" - events.jsonl <<'PY' || fail "the transaction's events: $(grep lsid events.jsonl)"
import sys
from bson import json_util
from bson.int64 import Int64
txn = [e for e in map(json_util.loads, open(sys.argv[1])) if "lsid" in e]
assert [e["operationType"] for e in txn] == ["update", "delete"], txn
assert txn[0]["clusterTime"] == txn[1]["clusterTime"], txn
assert txn[0]["lsid"] == txn[1]["lsid"] and set(txn[0]["lsid"]) == {"id", "uid"}, txn
assert all(type(e["txnNumber"]) is Int64 for e in txn), txn
assert txn[0]["_id"]["_data"] < txn[1]["_id"]["_data"], txn
assert "fullDocument" not in txn[0], txn[0]  # looked up when read, not when written
PY
fi

# kill -9, changes meanwhile, restart: resumes after the stored token
wait_for 30 tgt_is "SELECT position IS NOT NULL FROM sluice.sluice_checkpoint WHERE key = 'p1'" t || fail "no checkpoint"
kill -9 "$SL"; wait "$SL" 2>/dev/null || true
mg insert shop items '{"_id": 6, "v": "six"}'
: > commands.log
"$SLUICE" run p1.lua > run.log 2>&1 &
BG_PIDS+=($!)
SL=$!
q6="SELECT count(*), count(DISTINCT _id) FROM shop.items"
wait_for 60 tgt_is "$q6" "3|3" || fail "after the restart: $(tgt -c "$q6")"
if mock_only "the change stream resumed by resumeAfter, read from the mock's command log"; then
  grep -q '"resumeAfter": {"_data": "82' commands.log || fail "the restart did not resume from a token: $(grep changeStream commands.log)"
fi
pass "kill -9 and restart: resumed from the stored resume token, nothing twice"

mg drop shop tmp
mg rename shop items items2
mg insert shop items2 '{"_id": 5, "v": "five"}'
mg insert other x '{"_id": 1}'
wait_for 60 tgt_is "$q" "$want|5:{\"v\": \"five\", \"_id\": 5}|6:{\"v\": \"six\", \"_id\": 6}" || fail "after the rename: $(tgt -c "$q")"
wait_for 30 tgt_is "SELECT count(*) FROM shop.tmp" 0 || fail "drop did not truncate shop.tmp"
pass "drop, rename (later changes to the table of the old name)"
stop_sluice
grep -q 'rename the target table to "shop.items2" before that, or reload the collection' run.log \
  || fail "the rename's warning does not say what to do before a restart: $(grep -i renamed run.log)"
# what the warning says: the target table renamed too, then a restart finds
# the collection under its new name and goes on into that table
before=$(tgt -c "SELECT count(*) FROM shop.items")
tgt -c 'ALTER TABLE shop.items RENAME TO items2'
mg insert shop items2 '{"_id": 8, "v": "eight"}'
start_cdc p1
wait_for 60 tgt_is "SELECT count(*) FROM shop.items2 WHERE _id = 8" 1 || fail "after renaming the target table: $(grep -i error run.log | head -3)"
tgt_is "SELECT count(*) FROM shop.items2" $(( before + 1 )) || fail "rows lost or doubled after the restart"
pass "a renamed collection after a restart: the target table renamed as the warning says, changes go on into it"
stop_sluice

if mock_only "a resume point no longer in the oplog (error 286): the mock's history is cut"; then
  : > events.jsonl # the oplog rolled over: the stored token is gone from the server
  mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 7}, "fullDocument": {"_id": 7}}'
  if "$SLUICE" run p1.lua > run.log 2>&1; then fail "a lost resume point was accepted"; fi
  grep -q 'error: .*cannot resume the change stream of server .* from position [0-9]*\.[0-9]* token 82' run.log || fail "no clear error: $(cat run.log)"
  grep -q 'detail: .*(error 286)' run.log || fail "no detail: $(cat run.log)"
  grep -q 'hint: Reload the collections: run mode full-load-and-cdc' run.log || fail "no hint: $(cat run.log)"
  pass "a resume point no longer in the oplog (ChangeStreamHistoryLost) is a clear error with a hint"
fi
finish
