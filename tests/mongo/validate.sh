# sluice validate from MONGO_BACKEND's server (common.sh) to a real
# PostgreSQL, in document mode and in table mode: after a full load every document matches, with every BSON type of the
# conversion tests in the compared values (Decimal128, int64, doubles with
# NaN / -Infinity / -0.0, dates with milliseconds and before 1970, binary,
# ObjectId keys and values, regex, timestamp, min / max key, code, code with
# scope, null, nested documents and arrays as jsonb),
# compared in canonical form; the collections are cut into _id ranges that the
# source reads through the _id filter (seen in the mock server's command log);
# a changed, a deleted and an added row at the target are found by _id (exit
# 10); --repair rewrites them from the server's documents and a second
# validate matches.
. "$(dirname "$0")/common.sh"

# shop.items: 12 documents with ObjectId keys and every BSON type; shop.longs
# and crm.people: long and string keys
ITEMS=$("$PY" - <<'PY'
import json
docs = []
for i in range(12):
    docs.append({"_id": {"$oid": "5f1e2d3c4b5a6978879605%02x" % i}, "name": "item %d" % i,
      "qty": {"$numberInt": str(i)}, "price": {"$numberDecimal": "1234567890123456789%d.0123456789" % i},
      "big": {"$numberLong": str(9223372036854775807 - i)}, "ratio": {"$numberDouble": "0.%d" % (i + 1)},
      "at": {"$date": {"$numberLong": str(1700000000123 + i * 86400001)}},
      "bin": {"$binary": {"base64": "AAH+/2E=", "subType": "00"}},
      "ref": {"$oid": "65a0c0ffee00000000000%03d" % i},
      "re": {"$regularExpression": {"pattern": "^a%d" % i, "options": "i"}},
      "ts": {"$timestamp": {"t": 1700000100, "i": i}},
      "lo": {"$minKey": 1}, "hi": {"$maxKey": 1},
      "nested": {"a": [1, {"b": None, "c": "ü"}], "d": {"e": 2.5}}, "tags": ["x", i],
      "ok": i % 2 == 0, "gone": None,
      "old": {"$date": {"$numberLong": str(-2208988800000 - i)}},
      "nan": {"$numberDouble": ["NaN", "-Infinity", "-0.0", "1.5e-07", "1e+300", "-2.5e-300"][i % 6]},
      "long_decimal": {"$numberDecimal": "0.12345678901234567890123456789%d" % i},
      "code": {"$code": "function () { return %d; }" % i},
      "scoped": {"$code": "x", "$scope": {"x": i}}})
print(json.dumps(docs))
PY
)
mongo_start "{\"setName\": \"rs0\", \"dbs\": {
  \"shop\": {\"items\": $ITEMS, \"longs\": [{\"_id\": {\"\$numberLong\": \"1\"}, \"v\": \"a\"}, {\"_id\": {\"\$numberLong\": \"2\"}, \"v\": \"b\"},
                                     {\"_id\": {\"\$numberLong\": \"30\"}, \"v\": \"c\"}]},
  \"crm\": {\"people\": [{\"_id\": \"ann\", \"age\": 41}, {\"_id\": \"bob\", \"age\": 35}, {\"_id\": \"cy\", \"age\": 29}]}}}"

validate() { "$SLUICE" validate "$@" > out.txt 2> err.txt; echo $?; }

# check_report PIPELINE STATE 'python assertions on t (tables by source name)'
check_report() {
  "$PY" - out.txt "$2" "$3" <<'PY' || fail "$1: report: $(cat out.txt err.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["state"] == sys.argv[2], doc["state"]
t = {x["source"]: x for x in doc["tables"]}
assert set(t) == {"shop.items", "shop.longs", "crm.people"}, set(t)
exec(sys.argv[3])
PY
}

# MODE_NAME PIPELINE: a full load, validate, three changes at the target, validate, repair, validate
round() {
  local name=$1 p=$2 change=$3
  "$SLUICE" run "$p" > run.log 2>&1 || fail "$name: sluice run failed: $(tail -5 run.log)"
  : > commands.log
  rc=$(validate --format json --chunk-rows 4 "$p")
  [ "$rc" = 0 ] || fail "$name: validate after the full load: exit $rc: $(cat out.txt err.txt)"
  check_report "$p" match '
for x in t.values():
    assert x["state"] == "match" and x["source_rows"] == x["target_rows"], x
assert t["shop.items"]["source_rows"] == 12 and t["shop.items"]["chunks"] == 3, t["shop.items"]
assert t["shop.longs"]["chunks"] == 1 and t["crm.people"]["chunks"] == 1
assert t["shop.items"]["chunks_hashed"] == 0'
  if mock_only "$name: the chunks read as _id ranges by the server, seen in the mock's command log"; then
    # ObjectIds in $gte / $lt
    "$PY" - commands.log <<'PY' || fail "$name: no _id range reads: $(grep '"find": "items"' commands.log)"
import json, sys
finds = [json.loads(l) for l in open(sys.argv[1]) if '"find": "items"' in l]
ranges = [f["filter"]["$and"] for f in finds if "$and" in f.get("filter", {})]
ops = {op for r in ranges for c in r for op in c["_id"]}
assert {"$gte", "$lt"} <= ops, ops
assert all("$oid" in json.dumps(r) for r in ranges)
PY
  fi
  pass "$name: every BSON type matches after the full load; shop.items compared in 3 _id ranges"

  tgt -c "$change"
  rc=$(validate --format json --rechecks 1 --recheck-wait 20 --chunk-rows 4 "$p")
  [ "$rc" = 10 ] || fail "$name: validate after the changes: exit $rc: $(cat out.txt err.txt)"
  check_report "$p" mismatch '
m = {(x["key"]["_id"], x["kind"]): x["columns"] for x in t["shop.items"]["mismatches"]}
assert set(m) == {("5f1e2d3c4b5a697887960503", "differs"), ("5f1e2d3c4b5a697887960507", "missing"),
                  ("5f1e2d3c4b5a6978879605ff", "extra")}, m
assert t["shop.items"]["differing_keys"] == 3
l = {(x["key"]["_id"], x["kind"]) for x in t["shop.longs"]["mismatches"]}
assert l == {("2", "differs")}, l
assert t["crm.people"]["state"] == "match"'
  pass "$name: a changed, a deleted and an added row at the target found by _id (exit 10)"

  rc=$(validate --repair --rechecks 0 "$p")
  [ "$rc" = 0 ] || fail "$name: validate --repair: exit $rc: $(cat out.txt err.txt)"
  grep -q 'repaired' out.txt || fail "$name: --repair says nothing: $(cat out.txt)"
  rc=$(validate --format json "$p")
  [ "$rc" = 0 ] || fail "$name: validate after --repair: exit $rc: $(cat out.txt err.txt)"
  check_report "$p" match 'assert all(x["state"] == "match" for x in t.values())'
  pass "$name: --repair rewrote them from the server's documents; validate matches again"
}

write_pipeline doc.lua full-load
round "document mode" doc.lua "
  UPDATE shop.items SET doc = jsonb_set(doc, '{price}', '{\"\$numberDecimal\": \"1.5\"}') WHERE _id = '5f1e2d3c4b5a697887960503';
  DELETE FROM shop.items WHERE _id = '5f1e2d3c4b5a697887960507';
  INSERT INTO shop.items VALUES ('5f1e2d3c4b5a6978879605ff', '{\"_id\": {\"\$oid\": \"5f1e2d3c4b5a6978879605ff\"}}');
  UPDATE shop.longs SET doc = jsonb_set(doc, '{v}', '\"B\"') WHERE _id = 2"

tgt -c "DROP SCHEMA shop CASCADE; DROP SCHEMA crm CASCADE; DROP TABLE IF EXISTS public.sluice_checkpoint"
write_pipeline tab.lua full-load "" 'nestingLevel = "one"'
round "table mode" tab.lua "
  UPDATE shop.items SET at = at + interval '1 millisecond' WHERE _id = '5f1e2d3c4b5a697887960503';
  DELETE FROM shop.items WHERE _id = '5f1e2d3c4b5a697887960507';
  INSERT INTO shop.items (_id, name) VALUES ('5f1e2d3c4b5a6978879605ff', 'extra');
  UPDATE shop.longs SET v = 'B' WHERE _id = 2"
# the typed columns really are typed: the comparison went through them
tgt_is "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = 'price'" numeric \
  || fail "table mode: price is not numeric"
tgt_is "SELECT price FROM shop.items WHERE _id = '5f1e2d3c4b5a697887960503'" 12345678901234567893.0123456789 \
  || fail "table mode: the repaired price"
finish
