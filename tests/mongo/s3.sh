# source-mongo into sink-s3: the collections of MONGO_BACKEND's server
# (common.sh), full load and change streams (changes written through
# pymongo), written to the s3 fixture's s3rver in DMS's layout, read
# back through botocore (tests/s3/s3_replay.py: LOAD files, then change files in
# checkpoint order, each range once) and compared with the documents.
. "$(dirname "$0")/common.sh"
: "${S3_PORT:?set by ctest}" "${S3_TESTS:?set by ctest}"
export S3_KEY=S3RVER S3_SECRET=S3RVER
BUCKET="mongo-s3-$$"
bash "$S3_TESTS/s3rver.sh" mkbucket "$S3_PORT" "$BUCKET"

mongo_start '{"setName": "rs0", "dbs": {"shop": {"items": [
  {"_id": {"$numberLong": "1"}, "name": "pen", "price": {"$numberDecimal": "12345678901234567890.0123456789"},
   "big": {"$numberLong": "9223372036854775807"}, "at": {"$date": {"$numberLong": "1700000000123"}},
   "bin": {"$binary": {"base64": "AAH+/2E=", "subType": "00"}}, "tags": ["a", "b,c"], "note": "say \"hi\"\tthen go"},
  {"_id": {"$numberLong": "2"}, "name": "ink", "oid": {"$oid": "5f1e2d3c4b5a697887960502"}},
  {"_id": {"$numberLong": "3"}, "name": "cap"}]}}}'

cat > p1.lua <<LUA
return {
  name = "p1",
  mode = "full-load-and-cdc",
  source = { plugin = "source-mongo", uri = env "MONGO_URI" },
  target = { plugin = "sink-s3", endpoint = "http://127.0.0.1:$S3_PORT", bucketName = "$BUCKET",
             bucketFolder = "out", access_key_id = env "S3_KEY", secret_access_key = env "S3_SECRET",
             cdcMaxBatchInterval = 1 },
  settings = { StatusIntervalMs = 100 },
}
LUA
start_cdc p1

mg insert shop items '{"_id": {"$numberLong": "4"}, "name": "pad", "n": {"$numberInt": "7"}}'
mg update shop items '{"_id": {"$numberLong": "2"}}' '{"$set": {"name": "INK"}}'
mg replace shop items '{"_id": {"$numberLong": "1"}}' '{"name": "pen2", "price": {"$numberDecimal": "-1.5E+40"}}'
mg delete shop items '{"_id": {"$numberLong": "3"}}'

# the documents as the source holds them now, in the Extended JSON that doc carries
cat > want.jsonl <<'JSON'
{"_id": 1, "name": "pen2", "price": {"$numberDecimal": "-1.5E+40"}}
{"_id": 2, "name": "INK", "oid": {"$oid": "5f1e2d3c4b5a697887960502"}}
{"_id": 4, "name": "pad", "n": 7}
JSON
cat > compare.py <<'PY'
import json, sys
def unescape(v):  # COPY text, as s3_replay.py prints it
    return v.encode().decode("unicode_escape") if "\\" in v else v
got = {}
for line in open(sys.argv[1]):
    table, key, doc = line.rstrip("\n").split("\t")
    assert table == "shop.items", table
    d = json.loads(unescape(doc))
    assert d["_id"] == int(key), (key, d)
    got[int(key)] = d
want = {d["_id"]: d for d in map(json.loads, open(sys.argv[2]))}
if got != want:
    sys.exit("bucket rows %s\nwant %s" % (json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)))
PY
replay() { /usr/bin/python3 "$S3_TESTS/s3_replay.py" "http://127.0.0.1:$S3_PORT" "$BUCKET" out > got.out 2> replay.err; }
same() { replay && /usr/bin/python3 compare.py got.out want.jsonl > cmp.err 2>&1; }
wait_for 60 same || fail "the bucket does not hold the documents: $(cat replay.err cmp.err 2>/dev/null | tail -3)"
pass "full load and change capture (insert, update, replace, delete) into S3; the objects read back equal the documents"

# the full load's objects alone hold every type exactly
load=$(/usr/bin/python3 - "$S3_PORT" "$BUCKET" <<'PY'
import sys, botocore.session
from botocore.config import Config
c = botocore.session.get_session().create_client("s3", endpoint_url="http://127.0.0.1:" + sys.argv[1],
    region_name="us-east-1", aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
    config=Config(s3={"addressing_style": "path"}))
keys = [o["Key"] for o in c.list_objects_v2(Bucket=sys.argv[2], Prefix="out/shop/items/")["Contents"]
        if "/LOAD" in o["Key"]]
print("".join(c.get_object(Bucket=sys.argv[2], Key=k)["Body"].read().decode() for k in sorted(keys)))
PY
)
want='1,"{""_id"":1,""name"":""pen"",""price"":{""$numberDecimal"":""12345678901234567890.0123456789""},""big"":9223372036854775807,""at"":{""$date"":""2023-11-14T22:13:20.123Z""},""bin"":{""$binary"":{""base64"":""AAH+/2E="",""subType"":""00""}},""tags"":[""a"",""b,c""],""note"":""say \""hi\""\tthen go""}"'
printf '%s\n' "$load" | grep -qxF "$want" || fail "LOAD objects lack the first document exactly: $load"
pass "LOAD objects: Decimal128, int64, date with ms, binary, arrays, quotes and tabs exact in DMS CSV"
stop_sluice

# table mode: fields the sample (docsToInvestigate = 1) did not show, met
# during the full load, close the LOAD file; the next starts with the new
# columns and its own header (addColumnName). Chunks of 20, batches of 7: a
# chunk starts with the sampled columns and widens as it meets fields.
docs=$("$PY" - <<'PY'
import json
docs = []
for i in range(1, 61):
    d = {"_id": {"$numberLong": str(i)}, "a": "x%d" % i}
    if i >= 30: d["n"] = {"$numberLong": str(i * 1000)}
    if i % 20 == 5: d["late"] = True
    if i == 60: d["deep"] = {"k": [i]}
    docs.append(d)
print(json.dumps(docs))
PY
)
mg drop shop items
mg load <(printf '{"dbs": {"crm": {"leads": %s}}}' "$docs")
sed -e 's/name = "p1"/name = "p2"/' -e 's/full-load-and-cdc/full-load/' -e 's/bucketFolder = "out"/bucketFolder = "tm", addColumnName = true/' \
    -e 's/uri = env "MONGO_URI"/uri = env "MONGO_URI", nestingLevel = "one", docsToInvestigate = 1/' \
    -e 's/StatusIntervalMs = 100/StatusIntervalMs = 100, FullLoadChunkRows = 20, MaxFullLoadSubTasks = 1, BatchRows = 7/' p1.lua > p2.lua
sed -i 's/^}$/  mappings = { { rule = "include", schema = "crm", table = "leads" } },\n}/' p2.lua
"$SLUICE" run p2.lua > run.log 2>&1 || fail "table mode into S3: $(tail -5 run.log)"
/usr/bin/python3 "$S3_TESTS/s3_replay.py" "http://127.0.0.1:$S3_PORT" "$BUCKET" tm --header > tm.out 2> replay.err \
  || fail "replay: $(tail -3 replay.err)"
"$PY" - tm.out <<'PY' || fail "the LOAD files do not hold every field: $(head -c 600 tm.out)"
import sys
want = []
for i in range(1, 61):  # the last file's layout: _id, a, then the fields in the order met
    n = str(i * 1000) if i >= 30 else "\\N"
    late = "true" if i % 20 == 5 else "\\N"
    deep = '{"k":[60]}' if i == 60 else "\\N"
    want.append("\t".join(["crm.leads", str(i), "x%d" % i, n, late, deep]))
got = open(sys.argv[1]).read().splitlines()
if got != want:
    sys.exit("got %r\nwant %r" % (got[:6], want[:6]))
PY
pass "table mode: fields met during the full load start a LOAD file with the new columns; the files read back by header equal the documents"
finish
