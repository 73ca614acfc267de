# Collections created while streaming (by a first insert, or by create and
# then inserts, through pymongo), from MONGO_BACKEND's server (common.sh) into
# a real PostgreSQL: the first change of a selected collection not discovered
# at start adds its table (columns from a sample and that change's document),
# a SCHEMA event creates it at the target, and its changes follow; a
# collection the selection rules exclude stays out.
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one"}]}}}'
write_pipeline p1.lua full-load-and-cdc
sed -i 's/^}$/  mappings = { { rule = "include", schema = "shop", table = "%" } },\n}/' p1.lua
start_cdc p1
mg insert shop orders '{"_id": {"$oid": "5f1e2d3c4b5a697887960601"}, "total": {"$numberDecimal": "9.99"}}'
mg insert other x '{"_id": 1}'
mg insert shop orders '{"_id": {"$oid": "5f1e2d3c4b5a697887960602"}, "total": 5}'
mg update shop orders '{"_id": {"$oid": "5f1e2d3c4b5a697887960601"}}' '{"$set": {"paid": true}}'
mg delete shop orders '{"_id": {"$oid": "5f1e2d3c4b5a697887960602"}}'
mg insert shop items '{"_id": 2, "v": "two"}'
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
mg create shop carts
mg insert shop carts '{"_id": "c1", "qty": {"$numberLong": "3"}, "lines": [1, 2]}'
mg insert shop carts '{"_id": "c2", "qty": {"$numberLong": "4"}, "coupon": "X"}'
q="SELECT string_agg(_id || ' ' || qty || ' ' || coalesce(lines::text, '-') || ' ' || coalesce(coupon, '-'), '|' ORDER BY _id) FROM shop.carts"
wait_for 60 tgt_is "$q" 'c1 3 [1, 2] -|c2 4 - X' || fail "shop.carts: $(tgt -c "$q" 2>&1) $(grep -i error run.log | head -3)"
cols=$(tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'shop.carts'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$cols" = "_id text, qty bigint, lines jsonb, coupon text" ] || fail "shop.carts columns: $cols"
pass "table mode: a created collection gets the columns of its first document, and later fields are added"
stop_sluice
finish
