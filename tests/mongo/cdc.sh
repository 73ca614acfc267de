# Change streams through the MOCK MongoDB server into a real PostgreSQL:
# insert, update (the looked-up document), replace, delete, an update whose
# document is gone, drop, rename; the overlap with the full load applied as
# upserts; kill -9 and a restart that resumes from the stored resume token;
# and a resume point the oplog no longer holds (error 286) as a clear error.
. "$(dirname "$0")/common.sh"

mock_start '{"setName": "rs0", "dbs": {"shop": {
  "items": [{"_id": 1, "v": "one"}, {"_id": 2, "v": "two"}],
  "tmp": [{"_id": "t", "v": 0}]}}}'
# happened while the load read: already in the loaded rows, replayed as upserts
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 2}, "fullDocument": {"_id": 2, "v": "two"}}'

write_pipeline p1.lua full-load-and-cdc
"$SLUICE" run p1.lua > run.log 2>&1 &
BG_PIDS+=($!)
SL=$!
wait_for 60 in_phase p1 cdc || fail "no CDC phase: $(tail -5 run.log)"
tgt_is "SELECT count(*) FROM shop.items" 2 || fail "full load: $(tgt -c 'SELECT * FROM shop.items')"
pass "full load, then CDC from the recorded cluster time (the overlapping insert applied as an upsert)"

mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 3}, "fullDocument": {"_id": 3, "v": "three", "n": {"$numberLong": "9007199254740993"}}}'
mock_event '{"operationType": "update", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 1}, "updateDescription": {"updatedFields": {"v": "ONE"}, "removedFields": []}, "fullDocument": {"_id": 1, "v": "ONE"}}'
mock_event '{"operationType": "replace", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 2}, "fullDocument": {"_id": 2, "w": "replaced"}}'
mock_event '{"operationType": "update", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 3}, "updateDescription": {"updatedFields": {"v": "x"}, "removedFields": []}, "fullDocument": null}'
mock_event '{"operationType": "delete", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 3}}'
mock_event '{"operationType": "drop", "ns": {"db": "shop", "coll": "tmp"}}'
mock_event '{"operationType": "rename", "ns": {"db": "shop", "coll": "items"}, "to": {"db": "shop", "coll": "items2"}}'
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items2"}, "documentKey": {"_id": 5}, "fullDocument": {"_id": 5, "v": "five"}}'
mock_event '{"operationType": "insert", "ns": {"db": "other", "coll": "x"}, "documentKey": {"_id": 1}, "fullDocument": {"_id": 1}}'
want='1:{"v": "ONE", "_id": 1}|2:{"w": "replaced", "_id": 2}|5:{"v": "five", "_id": 5}'
q="SELECT string_agg(_id || ':' || doc::text, '|' ORDER BY _id) FROM shop.items"
wait_for 60 tgt_is "$q" "$want" || fail "after the changes: $(tgt -c "$q")"
wait_for 30 tgt_is "SELECT count(*) FROM shop.tmp" 0 || fail "drop did not truncate shop.tmp"
pass "insert, update (looked-up document), replace, delete, update of a deleted document, drop, rename"

# kill -9, changes meanwhile, restart: resumes after the stored token
wait_for 30 tgt_is "SELECT position IS NOT NULL FROM sluice.sluice_checkpoint WHERE key = 'p1'" t || fail "no checkpoint"
kill -9 "$SL"; wait "$SL" 2>/dev/null || true
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 6}, "fullDocument": {"_id": 6, "v": "six"}}'
: > commands.log
"$SLUICE" run p1.lua > run.log 2>&1 &
BG_PIDS+=($!)
SL=$!
q6="SELECT count(*), count(DISTINCT _id) FROM shop.items"
wait_for 60 tgt_is "$q6" "4|4" || fail "after the restart: $(tgt -c "$q6")"
grep -q '"resumeAfter": {"_data": "82' commands.log || fail "the restart did not resume from a token: $(grep changeStream commands.log)"
pass "kill -9 and restart: resumed from the stored resume token (resumeAfter), nothing twice"

kill -TERM "$SL"; wait "$SL" 2>/dev/null || true
# the oplog rolled over: the stored token is gone from the server
: > events.jsonl
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 7}, "fullDocument": {"_id": 7}}'
if "$SLUICE" run p1.lua > run.log 2>&1; then fail "a lost resume point was accepted"; fi
grep -q 'error: .*cannot resume the change stream of server .* from position [0-9]*\.[0-9]* token 82' run.log || fail "no clear error: $(cat run.log)"
grep -q 'detail: .*(error 286)' run.log || fail "no detail: $(cat run.log)"
grep -q 'hint: Reload the collections: run mode full-load-and-cdc' run.log || fail "no hint: $(cat run.log)"
pass "a resume point no longer in the oplog (ChangeStreamHistoryLost) is a clear error with a hint"
finish
