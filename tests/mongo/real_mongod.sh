# The end-to-end suite against a REAL mongod replica set, when one is on PATH:
# the test starts a one-member replica set of its own, writes documents with
# pymongo, and checks the full load and the change stream at PostgreSQL. No
# MongoDB server can be installed on the machine these tests were written on,
# so there it prints SKIPPED and exits 77, which ctest shows as skipped.
set -euo pipefail
if ! command -v mongod > /dev/null; then
  echo "SKIPPED: no mongod on PATH (the source-mongo end-to-end suite needs a real server)"
  exit 77
fi
. "$(dirname "$0")/common.sh"
pass() { echo "ok (real mongod): $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
fail() { echo "FAIL (real mongod): $*" >&2; exit 1; }
"$PY" -c 'import pymongo' || fail "python3-pymongo is needed to write test documents"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p db
mongod --replSet rs0 --port "$PORT" --bind_ip 127.0.0.1 --dbpath db --logpath mongod.log --fork > /dev/null
BG_PIDS+=($(cat db/mongod.lock))
mongo_py() { "$PY" -c "import pymongo, bson, sys; c = pymongo.MongoClient('127.0.0.1', $PORT, directConnection=True); $1"; }
mongo_py "c.admin.command('replSetInitiate', {'_id': 'rs0', 'members': [{'_id': 0, 'host': '127.0.0.1:$PORT'}]})"
wait_for 60 mongo_py "sys.exit(0 if c.admin.command('hello').get('isWritablePrimary') else 1)" || fail "no primary"
export MONGO_URI="mongodb://127.0.0.1:$PORT/?replicaSet=rs0"

mongo_py "from bson.decimal128 import Decimal128; c.shop.items.insert_many([{'_id': 1, 'v': 'one', 'd': Decimal128('1.10')}, {'_id': 2, 'v': 'two'}])"
write_pipeline p1.lua full-load-and-cdc
"$SLUICE" run p1.lua > run.log 2>&1 &
BG_PIDS+=($!)
wait_for 120 in_phase p1 cdc || fail "no CDC phase: $(tail -5 run.log)"
tgt_is "SELECT count(*) FROM shop.items" 2 || fail "full load"
tgt_is "SELECT doc->'d'->>'\$numberDecimal' FROM shop.items WHERE _id = 1" "1.10" || fail "Decimal128"
pass "full load"
mongo_py "c.shop.items.insert_one({'_id': 3, 'v': 'three'}); c.shop.items.update_one({'_id': 1}, {'\$set': {'v': 'ONE'}}); c.shop.items.delete_one({'_id': 2})"
q="SELECT string_agg(_id || ':' || (doc->>'v'), ',' ORDER BY _id) FROM shop.items"
wait_for 60 tgt_is "$q" "1:ONE,3:three" || fail "changes: $(tgt -c "$q")"
pass "insert, update, delete through a real change stream"
finish
