# Full load from MONGO_BACKEND's server (common.sh) into a real PostgreSQL:
# every BSON type arrives in the doc jsonb column exactly, _id keys of several types
# (ObjectId, long, string) land in columns of their type, the selection rules
# pick collections, and a large collection is split into _id ranges.
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": "rs0", "dbs": {
  "shop": {
    "items": [
      {"_id": {"$oid": "5f1e2d3c4b5a697887960501"}, "name": "pen", "qty": {"$numberInt": "3"},
       "price": {"$numberDecimal": "12345678901234567890.0123456789"},
       "big": {"$numberLong": "9223372036854775807"}, "ratio": {"$numberDouble": "0.1"},
       "at": {"$date": {"$numberLong": "1700000000123"}},
       "bin": {"$binary": {"base64": "AAH+/2E=", "subType": "00"}},
       "re": {"$regularExpression": {"pattern": "^a", "options": "i"}},
       "ts": {"$timestamp": {"t": 1700000100, "i": 7}},
       "lo": {"$minKey": 1}, "hi": {"$maxKey": 1}, "nested": {"a": [1, {"b": null}]},
       "ok": true},
      {"_id": {"$oid": "5f1e2d3c4b5a697887960502"}, "name": "ink"}],
    "longs": [{"_id": {"$numberLong": "1"}, "v": "a"}, {"_id": {"$numberLong": "2"}, "v": "b"}],
    "skipped": [{"_id": "x"}]},
  "crm": {"people": [{"_id": "ann", "age": {"$numberInt": "41"}}]}}}'

write_pipeline p1.lua full-load
# DMS selection: everything but shop.skipped
sed -i 's/^}$/  mappings = { { rule = "include", schema = "%", table = "%" }, { rule = "exclude", schema = "shop", table = "skipped" } },\n}/' p1.lua
"$SLUICE" run p1.lua > run.log 2>&1 || fail "sluice run failed: $(tail -5 run.log)"
pass "full load ran"

tgt_is "SELECT count(*) FROM shop.items" 2 || fail "shop.items has $(tgt -c 'SELECT count(*) FROM shop.items') rows"
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = '_id'" "character(24)" \
  || fail "ObjectId _id is not char(24)"
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.longs'::regclass AND attname = '_id'" "bigint" \
  || fail "long _id is not bigint"
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = 'doc'" "jsonb" \
  || fail "doc is not jsonb"
pass "column types follow mongo_to_pg: char(24), bigint, jsonb"

row=$(tgt -c "SELECT doc FROM shop.items WHERE _id = '5f1e2d3c4b5a697887960501'")
for want in '"_id": {"$oid": "5f1e2d3c4b5a697887960501"}' '"qty": 3' \
    '"price": {"$numberDecimal": "12345678901234567890.0123456789"}' '"big": 9223372036854775807' \
    '"ratio": 0.1' '"at": {"$date": "2023-11-14T22:13:20.123Z"}' \
    '"bin": {"$binary": {"base64": "AAH+/2E=", "subType": "00"}}' \
    '"re": {"$regularExpression": {"options": "i", "pattern": "^a"}}' \
    '"ts": {"$timestamp": {"i": 7, "t": 1700000100}}' '"lo": {"$minKey": 1}' '"hi": {"$maxKey": 1}' \
    '"nested": {"a": [1, {"b": null}]}' '"ok": true'; do
  case "$row" in *"$want"*) ;; *) fail "doc lacks $want: $row";; esac
done
tgt_is "SELECT (doc->'big')::numeric = 9223372036854775807 FROM shop.items WHERE _id = '5f1e2d3c4b5a697887960501'" t \
  || fail "int64 is not exact in jsonb"
pass "every BSON type kept exactly in doc"

tgt_is "SELECT string_agg(_id::text || '=' || (doc->>'v'), ',' ORDER BY _id) FROM shop.longs" "1=a,2=b" || fail "shop.longs"
tgt_is "SELECT _id || ':' || (doc->>'age') FROM crm.people" "ann:41" || fail "crm.people"
tgt_is "SELECT count(*) FROM pg_tables WHERE schemaname = 'shop' AND tablename = 'skipped'" 0 \
  || fail "an excluded collection was created"
pass "databases as schemas, the selection rules honoured"

# a large collection in _id ranges: 1000 documents, chunks of 100 rows
docs=$("$PY" -c 'import json; print(json.dumps([{"_id": {"$numberLong": str(i)}, "n": i} for i in range(1, 1001)]))')
mongo_stop
mongo_start "{\"setName\": \"rs0\", \"dbs\": {\"big\": {\"nums\": $docs}}}"
write_pipeline p2.lua full-load "FullLoadChunkRows = 100, MaxFullLoadSubTasks = 2"
"$SLUICE" run p2.lua > run.log 2>&1 || fail "sluice run failed: $(tail -5 run.log)"
tgt_is "SELECT count(*), count(DISTINCT _id), sum(_id), min(_id), max(_id) FROM big.nums" "1000|1000|500500|1|1000" \
  || fail "big.nums: $(tgt -c 'SELECT count(*), count(DISTINCT _id), sum(_id) FROM big.nums')"
grep -q 'full load: 1 tables in 10 chunks, 2 at a time' run.log || fail "not 10 chunks: $(grep 'full load:' run.log)"
if mock_only "the load's _id range reads, seen in the mock's command log"; then
  ranges=$(grep -c '"\$gte"\|"\$lt"' commands.log || true)
  [ "$ranges" -ge 2 ] || fail "the load did not read _id ranges (commands.log has $ranges)"
fi
pass "a large collection loads in _id ranges (chunks of 100 rows, 2 subtasks), every document once"
finish
