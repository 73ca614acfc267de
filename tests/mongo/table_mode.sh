# Table mode (nestingLevel "one") from MONGO_BACKEND's server (common.sh) into
# a real PostgreSQL: a column per top-level field of the sampled documents,
# typed by the BSON types seen (int and long: bigint; several types: jsonb),
# nested documents and arrays as jsonb, a missing field NULL; during change
# capture a document with a new field (written through pymongo) adds the
# column at the target; during the full load a field the sample did not show
# becomes a column too, in every lane.
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
grep -q 'collection "shop.people" has 2 new fields ("nick", ...): its table has 12 columns now' run.log \
  || fail "no log line for the new fields: $(grep -i field run.log)"
pass "CDC: a document with new fields adds typed columns at the target (earlier rows NULL); a removed field becomes NULL"
stop_sluice

# full load: fields outside the sample of docsToInvestigate documents become
# columns as the lanes meet them (ABI 1.8 SCHEMA events in load batches); 2
# lanes, _id ranges of 50 and batches of 7 rows, so new fields arrive mid-chunk,
# mid-batch and in two lanes at once; every value lands in its column
mongo_stop
docs=$("$PY" - <<'PY'
import json
docs = []
for i in range(1, 301):
    d = {"_id": {"$numberLong": str(i)}, "a": "x%d" % i}
    if i % 50 == 17: d["late"] = True                      # one new field in every chunk
    if i >= 120: d["n"] = {"$numberLong": str(i * 1000)}  # from the third chunk on
    if i == 299: d["deep"] = {"k": [i]}                    # the last chunk only
    docs.append(d)
print(json.dumps(docs))
PY
)
mongo_start "{\"setName\": \"rs0\", \"dbs\": {\"crm\": {\"leads\": $docs}}}"
write_pipeline p2.lua full-load-and-cdc "FullLoadChunkRows = 50, MaxFullLoadSubTasks = 2, BatchRows = 7" \
  'nestingLevel = "one", docsToInvestigate = 1'
start_cdc p2
want=$("$PY" -c '
rows = []
for i in range(1, 301):
    late = "true" if i % 50 == 17 else "-"
    n = str(i * 1000) if i >= 120 else "-"
    deep = "{\"k\": [%d]}" % i if i == 299 else "-"
    rows.append("%d:x%d:%s:%s:%s" % (i, i, late, n, deep))
print(",".join(rows))')
q="SELECT string_agg(_id || ':' || a || ':' || coalesce(late::text, '-') || ':' || coalesce(n::text, '-') || ':' || coalesce(deep::text, '-'), ',' ORDER BY _id) FROM crm.leads"
[ "$(tgt -c "$q")" = "$want" ] || fail "crm.leads after the load: $(tgt -c "$q" | head -c 600)"
types=$(tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'crm.leads'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$types" = "_id bigint, a text, deep jsonb, late boolean, n bigint" ] || fail "columns: $types"
grep -q 'schema change during the full load: ALTER TABLE "crm"."leads" ADD COLUMN "late" boolean' run.log \
  || fail "no schema change logged: $(grep -i 'schema\|error' run.log | head -5)"
[ "$(grep -c 'ADD COLUMN "late"' run.log)" = 1 ] || fail "late added more than once: $(grep 'ADD COLUMN' run.log)"
pass "full load: fields the sample did not show become typed columns in every lane, every value in place"

# change capture after such a load: the stream's table knows only the sampled
# field; a change with the fields the load added widens it without a conflict
mg update crm leads '{"_id": {"$numberLong": "17"}}' '{"$set": {"a": "changed", "late": false, "n": {"$numberLong": "5"}}}'
mg insert crm leads '{"_id": {"$numberLong": "301"}, "a": "new"}'
q="SELECT string_agg(_id || ':' || a || ':' || coalesce(late::text, '-') || ':' || coalesce(n::text, '-'), ',' ORDER BY _id) FROM crm.leads WHERE _id IN (17, 301)"
wait_for 60 tgt_is "$q" "17:changed:false:5,301:new:-:-" || fail "CDC after the load: $(tgt -c "$q") $(grep -i error run.log | head -3)"
pass "CDC after the load: a change with fields the load added is applied into the existing columns"
stop_sluice
finish
