#!/usr/bin/env bash
# AWS DMS parallel-load by partitions and by multi-column ranges, PostgreSQL to
# PostgreSQL. sales.orders is range-partitioned by day, with a sub-partitioned
# partition (by id, its default partition in another schema) and a default
# partition; it must arrive as one table at the target. Loaded with
# partitions-auto (one chunk per leaf), then partitions-list (the named ones
# and the rest), and a table split by a 2-column range with NULLs: the target
# holds every source row exactly once (ordered md5), the log shows the chunks,
# and CDC into the partitioned table still works after the load.
. "$(dirname "$0")/common.sh"

src -c "CREATE SCHEMA sales; CREATE SCHEMA arch;
  CREATE TABLE sales.orders (id int, region text, day date, amount numeric(12,2),
    PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
  CREATE TABLE sales.p2023 PARTITION OF sales.orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE TABLE sales.p2024 PARTITION OF sales.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    PARTITION BY RANGE (id);
  CREATE TABLE sales.p2024_low PARTITION OF sales.p2024 FOR VALUES FROM (MINVALUE) TO (6000);
  CREATE TABLE arch.p2024_rest PARTITION OF sales.p2024 DEFAULT;
  CREATE TABLE sales.pdef PARTITION OF sales.orders DEFAULT;
  INSERT INTO sales.orders SELECT g, (ARRAY['EU', 'US', NULL, 'APAC'])[g % 4 + 1],
    date '2022-06-01' + g % 1100, round(g * 1.25, 2) FROM generate_series(1, 12000) g;
  CREATE TABLE sales.pairs (id int PRIMARY KEY, a int, b text);
  INSERT INTO sales.pairs SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 50 END,
    CASE WHEN g % 13 = 0 THEN NULL ELSE chr(97 + g % 26) || (g % 7) END
    FROM generate_series(1, 6000) g;
  CREATE TABLE sales.plain (id int PRIMARY KEY);
  INSERT INTO sales.plain SELECT generate_series(1, 50)"

# digest T DB: row count and the md5 of the ordered rows of table T
digest() { psql -X -At -v ON_ERROR_STOP=1 -d "$2" -c "SELECT count(*),
  md5(coalesce(string_agg(r::text, E'\n' ORDER BY r::text), '')) FROM $1 r"; }
same() {
  local t
  for t in "$@"; do
    [ "$(digest "$t" "$SRC")" = "$(digest "$t" "$TGT")" ] ||
      { echo "$t: source $(digest "$t" "$SRC"), target $(digest "$t" "$TGT")" >&2; return 1; }
  done
}

cat > auto.json <<'JSON'
{"rules": [
  {"rule-type": "selection", "rule-id": "1", "rule-name": "all",
   "object-locator": {"schema-name": "sales", "table-name": "%"}, "rule-action": "include"},
  {"rule-type": "table-settings", "rule-id": "2", "rule-name": "orders",
   "object-locator": {"schema-name": "sales", "table-name": "orders"},
   "parallel-load": {"type": "partitions-auto"}},
  {"rule-type": "table-settings", "rule-id": "3", "rule-name": "pairs",
   "object-locator": {"schema-name": "sales", "table-name": "pairs"},
   "parallel-load": {"type": "ranges", "columns": ["a", "b"],
                     "boundaries": [["10", "k3"], ["30", "c"], [30, "x"]]}},
  {"rule-type": "table-settings", "rule-id": "4", "rule-name": "plain",
   "object-locator": {"schema-name": "sales", "table-name": "plain"},
   "parallel-load": {"type": "partitions-auto"}}
]}
JSON

write_pipeline a.lua full-load-and-cdc "MaxFullLoadSubTasks = 3" 'schemas = "sales"'
sed -i 's/^}$/  mappings = table_mappings_json "auto.json",\n}/' a.lua
"$SLUICE" run a.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 600); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

tables=$(tgt -c "SELECT string_agg(table_schema || '.' || table_name, ' ' ORDER BY 1)
                 FROM information_schema.tables WHERE table_schema NOT IN
                 ('pg_catalog', 'information_schema', 'sluice')")
[ "$tables" = "sales.orders sales.pairs sales.plain" ] || fail "tables at the target: $tables"
same sales.orders sales.pairs sales.plain || fail "the target differs from the source"
pass "partitioned table as one target table, every row once: $(digest sales.orders "$TGT")"

grep -q 'table "sales.orders" in 4 chunks by parallel-load partitions-auto (rule 2 (orders))' run.log ||
  fail "no 4-chunk split of sales.orders: $(grep 'sales.orders' run.log)"
for c in '1 of 4 reads partition "p2023"' '2 of 4 reads partition "pdef"' \
         '3 of 4 reads partition "arch.p2024_rest"' '4 of 4 reads partition "p2024_low"'; do
  grep -q "table \"sales.orders\" chunk $c" run.log || fail "no chunk $c in the log"
done
grep -q 'table "sales.pairs" in 4 chunks by parallel-load ranges (rule 3 (pairs))' run.log ||
  fail "no 4-chunk split of sales.pairs"
grep -q 'table "sales.plain" is not partitioned: it loads in one chunk (parallel-load partitions-auto, rule 4 (plain))' run.log ||
  fail "sales.plain: not logged as loaded whole"
grep -q 'full load: 3 tables in 9 chunks' run.log || fail "not 9 chunks: $(grep 'chunks,' run.log)"
pass "chunks: one per leaf partition (4), 2-column ranges (4), a plain table whole (1)"

# the source read each row once: each partition alone, and the row comparisons in
# its COPY query (had the core filtered them, each of the 4 chunks reads all rows)
sleep 0.3
read_rows() { python3 -c 'import json,sys
for t in json.load(open(".sluice/a/status.json"))["tables"]:
    if t["name"] == sys.argv[1]: print(t["rows_read"])' "$1"; }
[ "$(read_rows sales.orders)" = 12000 ] || fail "sales.orders: $(read_rows sales.orders) rows read"
[ "$(read_rows sales.pairs)" = 6000 ] || fail "sales.pairs: $(read_rows sales.pairs) rows read"
pass "the source read 12000 + 6000 rows: partitions alone, (a, b) row comparisons in its query"

# CDC into the partitioned table: inserts into each partition, a row moved across
# partitions, deletes, and a 2-column-range table's NULLs
src -c "INSERT INTO sales.orders VALUES (20001, 'EU', '2024-03-01', 1), (20002, 'US', '2024-03-01', 2),
          (20003, NULL, '2023-05-05', 3), (20004, 'EU', '2030-01-01', 4);
        UPDATE sales.orders SET day = '2024-02-02', region = 'EU' WHERE id = 7;
        UPDATE sales.orders SET amount = amount + 1 WHERE id BETWEEN 100 AND 120;
        DELETE FROM sales.orders WHERE id BETWEEN 200 AND 210;
        INSERT INTO sales.pairs VALUES (9001, NULL, NULL), (9002, 30, 'c')"
ok=0
for _ in $(seq 300); do same sales.orders sales.pairs 2>/dev/null && { ok=1; break; }; sleep 0.1; done
[ $ok = 1 ] || { same sales.orders sales.pairs; fail "CDC did not bring the target to the source"; }
kill -TERM "$pid"; wait "$pid" || fail "sluice exited $?"
pass "CDC after the load: the partitioned table follows the source ($(digest sales.orders "$TGT"))"

# partitions-list: the named ones (a sub-partitioned one whole) and the rest as one chunk
run_list() { # JSON-parallel-load NAME
  cat > list.json <<JSON
{"rules": [
  {"rule-type": "selection", "rule-id": "1", "rule-name": "orders",
   "object-locator": {"schema-name": "sales", "table-name": "orders"}, "rule-action": "include"},
  {"rule-type": "table-settings", "rule-id": "5", "rule-name": "list",
   "object-locator": {"schema-name": "sales", "table-name": "orders"},
   "parallel-load": $1}
]}
JSON
  dropdb --force "$TGT"; createdb "$TGT"
  write_pipeline "$2.lua" full-load "MaxFullLoadSubTasks = 3" 'schemas = "sales"'
  sed -i 's/^}$/  mappings = table_mappings_json "list.json",\n}/' "$2.lua"
  "$SLUICE" run "$2.lua" > "$2.log" 2>&1
}
run_list '{"type": "partitions-list", "partitions": ["p2024", "pdef"]}' l1 ||
  { cat l1.log >&2; fail "partitions-list run exited $?"; }
same sales.orders || fail "partitions-list: the target differs from the source"
for c in '1 of 3 reads partition "p2024"' '2 of 3 reads partition "pdef"' \
         '3 of 3 reads partition "p2023"'; do
  grep -q "table \"sales.orders\" chunk $c" l1.log || fail "partitions-list: no chunk $c"
done
pass "partitions-list p2024 (sub-partitioned, whole), pdef, and the rest: every row once"

run_list '{"type": "partitions-list", "partitions": ["p2023"], "subpartitions": ["p2024_low"]}' l2 ||
  { cat l2.log >&2; fail "partitions-list with subpartitions exited $?"; }
same sales.orders || fail "partitions-list with subpartitions: the target differs"
grep -q 'table "sales.orders" chunk 3 of 3 reads partitions "pdef", "arch.p2024_rest"' l2.log ||
  fail "the rest chunk: $(grep 'chunk 3' l2.log)"
pass "partitions-list with a sub-partition: the rest is the default partitions of both levels"

if run_list '{"type": "partitions-list", "partitions": ["p2023", "p2099"]}' l3; then
  fail "a partition that does not exist was accepted"
fi
grep -q 'rule 5 (list): parallel-load partitions-list: "p2099" is not a partition of sales.orders' l3.log ||
  { cat l3.log >&2; fail "the error does not name the rule and partition"; }
pass "a partition that does not exist: an error naming the rule and the partition"
finish
