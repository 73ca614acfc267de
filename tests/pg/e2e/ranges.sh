#!/usr/bin/env bash
# AWS DMS parallel-load ranges PostgreSQL to PostgreSQL: a table-mapping JSON
# document with table-settings splits three tables' full loads at the user's
# boundaries (an integer, a text and a date column, with NULLs and many rows
# equal to a boundary). The chunk filters go into source-pg's COPY queries;
# the target must hold every row exactly once.
. "$(dirname "$0")/common.sh"

src -c "CREATE SCHEMA sales;
  CREATE TABLE sales.num (id int PRIMARY KEY, k int, pad text);
  CREATE TABLE sales.txt (id int PRIMARY KEY, name text);
  CREATE TABLE sales.dates (id int PRIMARY KEY, d date);
  CREATE TABLE sales.whole (id int PRIMARY KEY);
  INSERT INTO sales.num SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 1000 END, md5(g::text)
    FROM generate_series(1, 20000) g;
  INSERT INTO sales.txt SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || lpad((g % 500)::text, 4, '0') END
    FROM generate_series(1, 5000) g;
  INSERT INTO sales.dates SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE date '2024-01-01' + g % 400 END
    FROM generate_series(1, 5000) g;
  INSERT INTO sales.whole SELECT generate_series(1, 10)"

cat > ranges.json <<'JSON'
{"rules": [
  {"rule-type": "selection", "rule-id": "1", "rule-name": "all",
   "object-locator": {"schema-name": "sales", "table-name": "%"}, "rule-action": "include"},
  {"rule-type": "table-settings", "rule-id": "2", "rule-name": "num",
   "object-locator": {"schema-name": "sales", "table-name": "num"},
   "parallel-load": {"type": "ranges", "columns": ["k"],
                     "boundaries": [["250"], [500], ["750"]]}},
  {"rule-type": "table-settings", "rule-id": "3", "rule-name": "txt",
   "object-locator": {"schema-name": "sales", "table-name": "txt"},
   "parallel-load": {"type": "ranges", "columns": ["name"],
                     "boundaries": [["n0100"], ["n0300"]]}},
  {"rule-type": "table-settings", "rule-id": "4", "rule-name": "dates",
   "object-locator": {"schema-name": "sales", "table-name": "dates"},
   "parallel-load": {"type": "ranges", "columns": ["d"], "boundaries": [["2024-03-01"]]}}
]}
JSON

cat > r.lua <<LUA
return {
  name = "r",
  mode = "full-load",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT", schemas = "sales" },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT" },
  settings = { StatusIntervalMs = 100, MaxFullLoadSubTasks = 4 },
  mappings = table_mappings_json "ranges.json",
}
LUA
"$SLUICE" run r.lua > run.log 2>&1 || fail "sluice run exited $?"

same_tables || fail "the target differs from the source"
pass "every row once: $(tr '\n' ' ' < target.digest | cut -c1-200)"

grep -q 'table "sales.num" in 4 chunks by parallel-load ranges (rule 2 (num))' run.log ||
  fail "no 4-chunk split of sales.num in the log"
grep -q 'table "sales.txt" in 3 chunks by parallel-load ranges (rule 3 (txt))' run.log ||
  fail "no 3-chunk split of sales.txt in the log"
grep -q 'table "sales.dates" in 2 chunks by parallel-load ranges (rule 4 (dates))' run.log ||
  fail "no 2-chunk split of sales.dates in the log"
grep -q 'full load: 4 tables in 10 chunks' run.log || fail "not 10 chunks in all: $(grep 'chunks,' run.log)"
pass "loaded in the user's chunks: 4 + 3 + 2 + 1"

# a range column the table lacks: the run stops naming the rule
sed -i 's/"columns": \["d"\]/"columns": ["day"]/' ranges.json
dropdb --force "$TGT"; createdb "$TGT"
sed 's/name = "r"/name = "r2"/' r.lua > r2.lua # a fresh state: r's tables are all loaded
if "$SLUICE" run r2.lua > bad.log 2>&1; then fail "a missing range column was accepted"; fi
grep -q 'rule 4 (dates): parallel-load ranges column "day" is not a column of sales.dates' bad.log ||
  { cat bad.log >&2; fail "the error does not name the rule and column"; }
pass "a range column the table lacks is an error naming the rule"

# what cannot be honoured is refused before anything runs, naming the rule:
# DMS's segmentation settings for MongoDB collections
sed -i 's/"columns": \["day"\], "boundaries": \[\["2024-03-01"\]\]/"columns": ["d"], "boundaries": [["2024-03-01"]], "number-of-partitions": 4/' ranges.json
if "$SLUICE" run r2.lua > bad.log 2>&1; then fail "number-of-partitions was accepted"; fi
grep -q 'rule 4 (dates): parallel-load "number-of-partitions" is not supported' bad.log ||
  { cat bad.log >&2; fail "number-of-partitions: wrong error"; }
pass "MongoDB segmentation settings refused naming the rule"
finish
