# The update description kept (option update_description) through the MOCK
# MongoDB server into a real PostgreSQL: column _update_description (jsonb)
# holds the updateDescription of the update that last changed the row, NULL
# for loaded, inserted and replaced rows; in document mode and in table mode.
. "$(dirname "$0")/common.sh"

mock_start '{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one", "n": [1, 2, 3]}]}}}'
write_pipeline p1.lua full-load-and-cdc "" 'update_description = true'
start_cdc p1
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = '_update_description'" jsonb \
  || fail "no _update_description jsonb column"
tgt_is "SELECT _update_description IS NULL FROM shop.items WHERE _id = 1" t || fail "a loaded row has an update description"
mock_event '{"operationType": "update", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 1}, "updateDescription": {"updatedFields": {"v": "ONE", "when": {"$date": {"$numberLong": "1700000000123"}}}, "removedFields": ["gone"], "truncatedArrays": [{"field": "n", "newSize": 2}]}, "fullDocument": {"_id": 1, "v": "ONE", "n": [1, 2], "when": {"$date": {"$numberLong": "1700000000123"}}}}'
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 2}, "fullDocument": {"_id": 2, "v": "two"}}'
want='{"removedFields": ["gone"], "updatedFields": {"v": "ONE", "when": {"$date": "2023-11-14T22:13:20.123Z"}}, "truncatedArrays": [{"field": "n", "newSize": 2}]}'
q="SELECT _update_description FROM shop.items WHERE _id = 1"
wait_for 60 tgt_is "$q" "$want" || fail "update description: $(tgt -c "$q")"
tgt_is "SELECT doc->>'v' FROM shop.items WHERE _id = 1" ONE || fail "the update itself was not applied"
wait_for 30 tgt_is "SELECT _update_description IS NULL FROM shop.items WHERE _id = 2" t || fail "an insert has an update description"
mock_event '{"operationType": "replace", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 1}, "fullDocument": {"_id": 1, "w": "new"}}'
wait_for 30 tgt_is "SELECT coalesce(_update_description::text, 'NULL') || ' ' || doc::text FROM shop.items WHERE _id = 1" 'NULL {"w": "new", "_id": 1}' \
  || fail "after a replace: $(tgt -c 'SELECT * FROM shop.items WHERE _id = 1')"
pass "document mode: _update_description holds the update's updatedFields / removedFields / truncatedArrays; NULL after a load, insert or replace"
stop_sluice

kill -9 "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
mock_start '{"setName": "rs0", "dbs": {"crm": {"people": [{"_id": "ann", "age": {"$numberInt": "41"}}]}}}'
write_pipeline p2.lua full-load-and-cdc "" 'update_description = true, nestingLevel = "one"'
start_cdc p2
mock_event '{"operationType": "update", "ns": {"db": "crm", "coll": "people"}, "documentKey": {"_id": "ann"}, "updateDescription": {"updatedFields": {"city": "Oslo"}, "removedFields": []}, "fullDocument": {"_id": "ann", "age": {"$numberInt": "41"}, "city": "Oslo"}}'
q="SELECT age || ' ' || city || ' ' || _update_description::text FROM crm.people"
wait_for 60 tgt_is "$q" '41 Oslo {"removedFields": [], "updatedFields": {"city": "Oslo"}}' || fail "table mode: $(tgt -c "$q" 2>&1)"
cols=$(tgt -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'crm.people'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$cols" = "_id,age,_update_description,city" ] || fail "table mode columns: $cols"
pass "table mode: _update_description beside the field columns, a new field added after it"
stop_sluice
finish
