# Table mode (nestingLevel "one") from MONGO_BACKEND's server (common.sh) into
# a real PostgreSQL: a column per top-level field of the sampled documents,
# typed by the BSON types seen (int and long: bigint; several types: jsonb),
# nested documents and arrays as jsonb, a missing field NULL; during change
# capture a document with a new field (written through pymongo) adds the
# column at the target; during the full load a field the sample did not show
# stops the table with a clear error.
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": "rs0", "dbs": {"shop": {"people": [
  {"_id": {"$oid": "5f1e2d3c4b5a697887960501"}, "name": "ann", "age": {"$numberInt": "41"},
   "addr": {"city": "Oslo", "zip": [1, 2]}, "tags": ["a", "b"],
   "born": {"$date": {"$numberLong": "1700000000123"}},
   "score": {"$numberDecimal": "12345678901234567890.0123456789"}, "v": {"$numberInt": "1"},
   "lo": {"$minKey": 1}, "bin": {"$binary": {"base64": "AAH+/2E=", "subType": "00"}}},
  {"_id": {"$oid": "5f1e2d3c4b5a697887960502"}, "name": "bob",
   "age": {"$numberLong": "9007199254740993"}, "v": "one", "born": null}]}}}'

write_pipeline p1.lua full-load-and-cdc "" 'nestingLevel = "one"'
start_cdc p1

types=$(tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'shop.people'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$types" = "_id character(24), name text, age bigint, addr jsonb, tags jsonb, born timestamp with time zone, score numeric, v jsonb, lo text, bin bytea" ] \
  || fail "columns: $types"
tgt_is "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'shop.people'::regclass AND i.indisprimary" "_id" \
  || fail "_id is not the key"
pass "table mode: a column per sampled field, typed by mongo_to_pg (int+long bigint, mixed jsonb, object/array jsonb)"

q="SELECT name, age, addr, tags, born, score, v, lo, encode(bin, 'hex') FROM shop.people WHERE _id = '5f1e2d3c4b5a697887960501'"
tgt_is "$q" 'ann|41|{"zip": [1, 2], "city": "Oslo"}|["a", "b"]|2023-11-14 22:13:20.123+00|12345678901234567890.0123456789|1|{"$minKey":1}|0001feff61' \
  || fail "ann: $(tgt -c "$q")"
q="SELECT name, age, v, born IS NULL, addr IS NULL, score IS NULL FROM shop.people WHERE _id = '5f1e2d3c4b5a697887960502'"
tgt_is "$q" 'bob|9007199254740993|"one"|t|t|t' || fail "bob: $(tgt -c "$q")"
pass "values exact in their columns (long, Decimal128, date with ms, binary, minKey); a missing field is NULL"

# change capture: new fields become columns
mg insert shop people '{"_id": {"$oid": "5f1e2d3c4b5a697887960503"}, "name": "cy", "nick": "C", "pets": {"dog": 1}}'
mg update shop people '{"_id": {"$oid": "5f1e2d3c4b5a697887960502"}}' '{"$set": {"rank": {"$numberLong": "7"}}, "$unset": {"v": ""}}'
mg insert shop people '{"_id": {"$oid": "5f1e2d3c4b5a697887960504"}, "name": "di", "nick": "D", "rank": {"$numberLong": "8"}}'
q="SELECT string_agg(name || ':' || coalesce(nick, '-') || ':' || coalesce(pets::text, '-') || ':' || coalesce(rank::text, '-') || ':' || coalesce(v::text, '-'), ',' ORDER BY _id) FROM shop.people"
want='ann:-:-:-:1,bob:-:-:7:-,cy:C:{"dog": 1}:-:-,di:D:-:8:-'
wait_for 60 tgt_is "$q" "$want" || fail "after new fields: $(tgt -c "$q" 2>&1) $(grep -i error run.log | head -3)"
types=$(tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'shop.people'::regclass AND attnum > 10 AND NOT attisdropped")
[ "$types" = "nick text, pets jsonb, rank bigint" ] || fail "added columns: $types"
grep -q 'collection "shop.people" has 2 new fields ("nick", ...): table "shop.people" has 12 columns now' run.log \
  || fail "no log line for the new fields: $(grep -i field run.log)"
pass "CDC: a document with new fields adds typed columns at the target (earlier rows NULL); a removed field becomes NULL"
stop_sluice

# full load: a field outside the sample of docsToInvestigate documents stops the table
mongo_stop
mongo_start '{"setName": "rs0", "dbs": {"crm": {"leads": [
  {"_id": 1, "a": "x"}, {"_id": 2, "a": "y", "late": true}]}}}'
write_pipeline p2.lua full-load "" 'nestingLevel = "one", docsToInvestigate = 1'
if "$SLUICE" run p2.lua > run.log 2>&1; then fail "a field outside the sample was accepted: $(cat run.log)"; fi
grep -q 'error: .*collection "crm.leads" has a field "late" that is not a column of its table' run.log || fail "no clear error: $(cat run.log)"
grep -q 'detail: .*fields of 1 sampled documents (docsToInvestigate); the document with _id 2 has this field too' run.log || fail "no detail: $(cat run.log)"
grep -q 'hint: Set docsToInvestigate to 0' run.log || fail "no hint: $(cat run.log)"
pass "full load: a field the sample did not show stops the table with message, detail and hint"

write_pipeline p3.lua full-load "" 'nestingLevel = "one", docsToInvestigate = 0'
tgt -c "DROP SCHEMA crm CASCADE"
"$SLUICE" run p3.lua > run.log 2>&1 || fail "docsToInvestigate = 0 failed: $(tail -5 run.log)"
tgt_is "SELECT string_agg(_id || ':' || a || ':' || coalesce(late::text, '-'), ',' ORDER BY _id) FROM crm.leads" "1:x:-,2:y:true" \
  || fail "crm.leads: $(tgt -c 'SELECT * FROM crm.leads')"
pass "docsToInvestigate = 0 samples every document: the full load gets every field"
finish
