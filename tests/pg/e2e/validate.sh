#!/usr/bin/env bash
# sluice validate, PostgreSQL to PostgreSQL, after a full load:
#  - identical tables match, in chunks hashed in the databases, with parallel chunks
#    and a rate limit; the exit status is 0;
#  - on the target a row changed, one deleted, one added and a column altered (a
#    type change that rounds a value) are each found with their key and columns, in
#    a key of one column and of two; JSON parses; the exit status is 10;
#  - a table missing at the target is an error of that table (exit 8), --table
#    picks tables, bad options are refused (exit 2);
#  - --repair gives each differing key the source's row, and a second validate matches.
. "$(dirname "$0")/common.sh"

src -c "CREATE TABLE items (id int PRIMARY KEY, v numeric(10,2), note text, t timestamptz,
          b bytea, flag bool, f float8, j jsonb);
        INSERT INTO items SELECT g, g, 'n' || g, '2024-01-01'::timestamptz + g * interval '1 s',
          decode(md5(g::text), 'hex'), g % 2 = 0, g / 3.0, jsonb_build_object('g', g)
          FROM generate_series(1, 5000) g;
        UPDATE items SET v = 1.25 WHERE id = 77;
        CREATE TABLE pairs (a int, b text, val int, PRIMARY KEY (a, b));
        INSERT INTO pairs SELECT g / 10, 'x' || (g % 10), g FROM generate_series(1, 1000) g;
        CREATE TABLE gone (id int PRIMARY KEY);
        INSERT INTO gone VALUES (1);
        ANALYZE"
write_pipeline v.lua full-load
"$SLUICE" run v.lua > run.log 2>&1 || fail "the full load failed (see run.log)"

validate() { "$SLUICE" validate "$@" v.lua > out.txt 2> err.txt; echo $?; }

rc=$(validate --format json --chunk-rows 700 --jobs 2 --max-rows-per-second 1000000)
[ "$rc" = 0 ] || fail "identical tables: exit $rc: $(cat out.txt err.txt)"
python3 - out.txt <<'PY' || fail "identical tables: $(cat out.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["state"] == "match", doc["state"]
t = {x["source"]: x for x in doc["tables"]}
assert t["public.items"]["source_rows"] == 5000 == t["public.items"]["target_rows"], t["public.items"]
assert t["public.items"]["chunks"] == 8, t["public.items"]["chunks"]  # 5000 rows by 700
assert t["public.items"]["chunks_hashed"] == 8, t["public.items"]  # all in the databases
assert t["public.pairs"]["chunks"] == 2 and t["public.pairs"]["target_rows"] == 1000
for x in doc["tables"]:
    assert x["state"] == "match" and x["mismatches"] == [], x
PY
pass "identical tables match, every chunk hashed in the databases (8 chunks, 2 jobs, rate-limited)"

tgt -c "UPDATE items SET note = 'changed' WHERE id = 17;
        DELETE FROM items WHERE id = 42;
        INSERT INTO items (id, v, note) VALUES (100001, 1, 'added');
        ALTER TABLE items ALTER COLUMN v TYPE numeric(10,1);
        UPDATE pairs SET val = -1 WHERE a = 3 AND b = 'x4';
        DELETE FROM pairs WHERE a = 50 AND b = 'x0'"
rc=$(validate --format json --chunk-rows 700 --rechecks 1 --recheck-wait 50)
[ "$rc" = 10 ] || fail "broken target: expected exit 10, got $rc: $(cat out.txt err.txt)"
python3 - out.txt <<'PY' || fail "broken target: $(cat out.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["state"] == "mismatch", doc["state"]
t = {x["source"]: x for x in doc["tables"]}
items = {(m["key"]["id"], m["kind"]): m["columns"] for m in t["public.items"]["mismatches"]}
want = {("17", "differs"): ["note"], ("42", "missing"): [], ("77", "differs"): ["v"],
        ("100001", "extra"): []}
assert items == want, items
assert t["public.items"]["state"] == "mismatch" and t["public.items"]["differing_keys"] == 4
pairs = {(m["key"]["a"], m["key"]["b"], m["kind"]): m["columns"] for m in t["public.pairs"]["mismatches"]}
assert pairs == {("3", "x4", "differs"): ["val"], ("50", "x0", "missing"): []}, pairs
assert t["public.gone"]["state"] == "match"
PY
pass "a changed, deleted, added row and an altered column are found by key and column (JSON, exit 10)"

rc=$(validate --max-keys 1 --rechecks 0 --table items)
[ "$rc" = 10 ] || fail "text report: exit $rc"
grep -q '^  mismatch public.items: rows 5000 at the source, 5000 at the target' out.txt &&
  grep -q '4 keys differ' out.txt && grep -q 'id=17: columns differ: note' out.txt &&
  ! grep -q 'id=42' out.txt && ! grep -q 'public.pairs' out.txt ||
  fail "text report (--table items, --max-keys 1): $(cat out.txt)"
pass "text report: --table picks a table, --max-keys limits the keys listed"

tgt -c "DROP TABLE gone"
rc=$(validate --table gone)
[ "$rc" = 8 ] || fail "a table missing at the target: expected exit 8, got $rc"
grep -q 'error    public.gone: sink "sink-pg", in the validate_hash callback, table "public.gone": could not read table "public.gone" to validate it: relation "public.gone" does not exist' out.txt ||
  fail "a missing table's error: $(cat out.txt)"
pass "a table missing at the target is an error of that table (exit 8)"
tgt -c "CREATE TABLE gone (id int PRIMARY KEY); INSERT INTO gone VALUES (1)"

for bad in "--jobs 0" "--format xml" "--chunk-rows x" "--nope"; do
  # shellcheck disable=SC2086
  rc=$(validate $bad)
  [ "$rc" = 2 ] && grep -q '^error: ' err.txt && grep -q '^hint: ' err.txt ||
    fail "bad option $bad: exit $rc: $(cat err.txt)"
done
pass "bad options are refused with a hint (exit 2)"

tgt -c "ALTER TABLE items ALTER COLUMN v TYPE numeric(10,2)" # a repair rewrites rows, not types
rc=$(validate --repair --rechecks 0 --format json)
[ "$rc" = 0 ] || fail "--repair: exit $rc: $(cat out.txt err.txt)"
python3 - out.txt <<'PY' || fail "--repair: $(cat out.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {x["source"]: x for x in doc["tables"]}
assert t["public.items"]["repaired"] == 4 and t["public.pairs"]["repaired"] == 2, t
assert doc["state"] == "match", doc
PY
rc=$(validate)
[ "$rc" = 0 ] || fail "validate after --repair: exit $rc: $(cat out.txt)"
[ "$(tgt -c "SELECT v, note FROM items WHERE id IN (17, 77) ORDER BY id")" = $'17.00|n17\n1.25|n77' ] ||
  fail "repaired rows hold the source's values"
[ "$(tgt -c "SELECT count(*) FROM items WHERE id IN (42, 100001)")" = 1 ] || fail "42 back, 100001 gone"
pass "--repair fixes every differing key, and a second validate matches"
finish
