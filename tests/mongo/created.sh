# Collections created while streaming, through the MOCK MongoDB server into a
# real PostgreSQL: the first change of a selected collection not discovered at
# start adds its table (columns from a sample and that change's document), a
# SCHEMA event creates it at the target, and its changes follow; a collection
# the selection rules exclude stays out.
. "$(dirname "$0")/common.sh"

mock_start '{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one"}]}}}'
write_pipeline p1.lua full-load-and-cdc
sed -i 's/^}$/  mappings = { { rule = "include", schema = "shop", table = "%" } },\n}/' p1.lua
start_cdc p1
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": {"$oid": "5f1e2d3c4b5a697887960601"}}, "fullDocument": {"_id": {"$oid": "5f1e2d3c4b5a697887960601"}, "total": {"$numberDecimal": "9.99"}}}'
mock_event '{"operationType": "insert", "ns": {"db": "other", "coll": "x"}, "documentKey": {"_id": 1}, "fullDocument": {"_id": 1}}'
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": {"$oid": "5f1e2d3c4b5a697887960602"}}, "fullDocument": {"_id": {"$oid": "5f1e2d3c4b5a697887960602"}, "total": 5}}'
mock_event '{"operationType": "update", "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": {"$oid": "5f1e2d3c4b5a697887960601"}}, "updateDescription": {"updatedFields": {"paid": true}, "removedFields": []}, "fullDocument": {"_id": {"$oid": "5f1e2d3c4b5a697887960601"}, "total": {"$numberDecimal": "9.99"}, "paid": true}}'
mock_event '{"operationType": "delete", "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": {"$oid": "5f1e2d3c4b5a697887960602"}}}'
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "items"}, "documentKey": {"_id": 2}, "fullDocument": {"_id": 2, "v": "two"}}'
q="SELECT string_agg(_id || ' ' || doc::text, '|' ORDER BY _id) FROM shop.orders"
want='5f1e2d3c4b5a697887960601 {"_id": {"$oid": "5f1e2d3c4b5a697887960601"}, "paid": true, "total": {"$numberDecimal": "9.99"}}'
wait_for 60 tgt_is "$q" "$want" || fail "shop.orders: $(tgt -c "$q" 2>&1) $(grep -i 'error\|created' run.log | head -3)"
wait_for 30 tgt_is "SELECT count(*) FROM shop.items" 2 || fail "shop.items after the new collection"
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.orders'::regclass AND attname = '_id'" "character(24)" \
  || fail "the created table's _id is not char(24)"
tgt_is "SELECT count(*) FROM pg_namespace WHERE nspname = 'other'" 0 || fail "an excluded collection was created"
grep -q 'collection "shop.orders" was created while streaming: captured from its first change' run.log || fail "no log line: $(grep -i orders run.log)"
pass "document mode: a collection created while streaming is created at the target and captured from its first change; an excluded one is not"
stop_sluice

write_pipeline p2.lua full-load-and-cdc "" 'nestingLevel = "one"'
sed -i 's/^}$/  mappings = { { rule = "include", schema = "shop", table = "%" } },\n}/' p2.lua
tgt -c "DROP SCHEMA shop CASCADE"
start_cdc p2
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "carts"}, "documentKey": {"_id": "c1"}, "fullDocument": {"_id": "c1", "qty": {"$numberLong": "3"}, "lines": [1, 2]}}'
mock_event '{"operationType": "insert", "ns": {"db": "shop", "coll": "carts"}, "documentKey": {"_id": "c2"}, "fullDocument": {"_id": "c2", "qty": {"$numberLong": "4"}, "coupon": "X"}}'
q="SELECT string_agg(_id || ' ' || qty || ' ' || coalesce(lines::text, '-') || ' ' || coalesce(coupon, '-'), '|' ORDER BY _id) FROM shop.carts"
wait_for 60 tgt_is "$q" 'c1 3 [1, 2] -|c2 4 - X' || fail "shop.carts: $(tgt -c "$q" 2>&1) $(grep -i error run.log | head -3)"
cols=$(tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'shop.carts'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$cols" = "_id text, qty bigint, lines jsonb, coupon text" ] || fail "shop.carts columns: $cols"
pass "table mode: a created collection gets the columns of its first document, and later fields are added"
stop_sluice
finish
