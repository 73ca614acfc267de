# The update description kept (option update_description), from MONGO_BACKEND's
# server (common.sh) into a real PostgreSQL: column _update_description (jsonb)
# holds the updateDescription of the update that last changed the row, NULL
# for loaded, inserted and replaced rows; in document mode and in table mode.
# The updates are written through pymongo, so the description is the server's
# (with the mock server: what mock_writes.py makes of the update, in the shape
# the server documents for 5.0 and later, which a real mongod must match too).
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one", "n": [1, 2, 3], "gone": true}]}}}'
write_pipeline p1.lua full-load-and-cdc "" 'update_description = true'
start_cdc p1
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = '_update_description'" jsonb \
  || fail "no _update_description jsonb column"
tgt_is "SELECT _update_description IS NULL FROM shop.items WHERE _id = 1" t || fail "a loaded row has an update description"
mg update shop items '{"_id": 1}' '{"$set": {"v": "ONE", "when": {"$date": {"$numberLong": "1700000000123"}}}, "$unset": {"gone": ""}, "$pop": {"n": 1}}'
mg insert shop items '{"_id": 2, "v": "two"}'
want='{"removedFields": ["gone"], "updatedFields": {"v": "ONE", "when": {"$date": "2023-11-14T22:13:20.123Z"}}, "truncatedArrays": [{"field": "n", "newSize": 2}]}'
q="SELECT _update_description FROM shop.items WHERE _id = 1"
wait_for 60 tgt_is "$q" "$want" || fail "update description: $(tgt -c "$q")"
tgt_is "SELECT doc::text FROM shop.items WHERE _id = 1" '{"n": [1, 2], "v": "ONE", "_id": 1, "when": {"$date": "2023-11-14T22:13:20.123Z"}}' \
  || fail "the update itself was not applied: $(tgt -c 'SELECT doc FROM shop.items WHERE _id = 1')"
wait_for 30 tgt_is "SELECT _update_description IS NULL FROM shop.items WHERE _id = 2" t || fail "an insert has an update description"
mg replace shop items '{"_id": 1}' '{"w": "new"}'
wait_for 30 tgt_is "SELECT coalesce(_update_description::text, 'NULL') || ' ' || doc::text FROM shop.items WHERE _id = 1" 'NULL {"w": "new", "_id": 1}' \
  || fail "after a replace: $(tgt -c 'SELECT * FROM shop.items WHERE _id = 1')"
pass "document mode: _update_description holds the update's updatedFields / removedFields / truncatedArrays (\$set, \$unset, \$pop); NULL after a load, insert or replace"
stop_sluice

mongo_stop
mongo_start '{"setName": "rs0", "dbs": {"crm": {"people": [{"_id": "ann", "age": {"$numberInt": "41"}}]}}}'
write_pipeline p2.lua full-load-and-cdc "" 'update_description = true, nestingLevel = "one"'
start_cdc p2
mg update crm people '{"_id": "ann"}' '{"$set": {"city": "Oslo"}}'
q="SELECT age || ' ' || city || ' ' || _update_description::text FROM crm.people"
wait_for 60 tgt_is "$q" '41 Oslo {"removedFields": [], "updatedFields": {"city": "Oslo"}, "truncatedArrays": []}' || fail "table mode: $(tgt -c "$q" 2>&1)"
cols=$(tgt -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'crm.people'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$cols" = "_id,age,_update_description,city" ] || fail "table mode columns: $cols"
pass "table mode: _update_description beside the field columns, a new field added after it"
stop_sluice
finish
