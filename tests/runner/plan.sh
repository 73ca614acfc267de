#!/usr/bin/env bash
# sluice plan: the dry run prints each selected table's mapping (target name,
# columns kept, renamed, retyped, removed and added, key, filter, target DDL)
# exactly; --sample N shows the first N rows the filters keep, mapped; JSON
# parses; and nothing is written: no state directory, no sink journal.
. "$(dirname "$0")/common.sh"

cat > pl.lua <<'LUA'
return {
  name = "pl",
  mode = "full-load-and-cdc",
  source = { plugin = "generator", tables = 3, rows = 60, columns = 5 },
  target = { plugin = "capture", path = "pl.journal" },
  mappings = {
    { rule = "include", schema = "gen", table = "t%",
      filters = { { column = "id", ["in"] = { 2, 3, 5, 8, 13, 20, 21, 23 } },
                  { column = "n1", notnull = true } } },
    { rule = "exclude", schema = "gen", table = "t3" },
    { rule = "rename", schema = "gen", value = "Shop" },
    { rule = "rename", target = "table", schema = "gen", table = "t1", value = "orders" },
    { rule = "rename", schema = "gen", table = "%", column = "n1", value = "num1" },
    { rule = "remove-column", schema = "gen", table = "%", column = "s1" },
    { rule = "change-data-type", schema = "gen", table = "t1", column = "n2",
      data_type = "numeric(20,4)" },
    { rule = "add-column", schema = "gen", table = "t1", column = "op", data_type = "text",
      expression = "$AR_H_OPERATION || ':' || $s2" },
    { rule = "add-column", schema = "gen", table = "t2", column = "Origin",
      data_type = "varchar(10)", value = "legacy" },
  },
}
LUA

# what the folder holds besides the test's own outputs (*.out, *.err, *.want, *.json)
others() { ls -A | grep -v -E '[.](out|err|want|json)$' || true; }
before=$(others)
"$SLUICE" plan pl.lua > plan.out 2> plan.err || { rc=$?; cat plan.err; fail "sluice plan exited $rc"; }
cat > plan.want <<'OUT'
pipeline "pl" (full-load-and-cdc): 2 tables, from source "generator" to target "capture"

table gen.t1 -> "Shop".orders
  columns:
    id bigint -> id   bigint
    n1 bigint -> num1 bigint
    s1 text   -> removed
    n2 bigint -> n2   numeric(20,4)
    s2 text   -> s2   text
              -> op   text           added: $AR_H_OPERATION || ':' || $s2
  key: id
  filter: id IN (2, 3, 5, 8, 13, 20, 21, 23) AND n1 IS NOT NULL
  target DDL:
    CREATE TABLE "Shop".orders (
      id bigint NOT NULL,
      num1 bigint NOT NULL,
      n2 numeric(20,4),
      s2 text,
      op text,
      PRIMARY KEY (id)
    );

table gen.t2 -> "Shop".t2
  columns:
    id bigint -> id       bigint
    n1 bigint -> num1     bigint
    s1 text   -> removed
    n2 bigint -> n2       bigint
    s2 text   -> s2       text
              -> "Origin" varchar(10)  added: 'legacy'
  key: id
  filter: id IN (2, 3, 5, 8, 13, 20, 21, 23) AND n1 IS NOT NULL
  target DDL:
    CREATE TABLE "Shop".t2 (
      id bigint NOT NULL,
      num1 bigint NOT NULL,
      n2 bigint,
      s2 text,
      "Origin" varchar(10),
      PRIMARY KEY (id)
    );
OUT
diff plan.want plan.out >&2 || fail "the printed plan differs (- expected, + printed)"
pass "plan: tables selected (t3 excluded), renamed, columns mapped, key, filter and DDL exact"

[ "$(others)" = "$before" ] || fail "plan left files behind: $(others)"
pass "plan wrote nothing: no state directory, no sink journal (the sink was not opened)"

# expected_sample TABLE N: the first N rows of the generator's table the filter keeps,
# as the mapping makes them (n1 renamed, s1 removed, added columns last), as JSON.
expected_sample() {
  "$EXPECT" --tables 3 --rows 60 --columns 5 --upto 0 | python3 -c '
import json, sys
table, want = sys.argv[1], int(sys.argv[2])
keep = {2, 3, 5, 8, 13, 20, 21, 23}
rows = []
for line in sys.stdin:
    f = [None if v == "\\N" else v for v in line.rstrip("\n").split("\t")]
    if f[0] != "gen." + table or int(f[1]) not in keep or f[2] is None:
        continue
    row = [f[1], f[2], f[4], f[5]]
    row.append(("LOAD:" + f[5] if f[5] is not None else None) if table == "t1" else "legacy")
    rows.append(row)
print(json.dumps(rows[:want]))
' "$1" "$2"
}

"$SLUICE" plan --sample 3 --format json pl.lua > plan.json 2> plan.err ||
  { rc=$?; cat plan.err; fail "sluice plan --sample 3 --format json exited $rc"; }
python3 -c 'import json,sys; json.load(sys.stdin)' < plan.json || fail "--format json does not parse"
for t in t1 t2; do
  got=$(python3 -c '
import json, sys
doc = json.load(open("plan.json"))
t = [x for x in doc["tables"] if x["source"]["table"] == sys.argv[1]][0]
print(json.dumps(t["sample"]["rows"]))' "$t")
  [ "$got" = "$(expected_sample "$t" 3)" ] || fail "sample of $t: $got"
done
python3 - <<'PY' || fail "the JSON plan's fields"
import json
doc = json.load(open("plan.json"))
assert doc["pipeline"] == "pl" and len(doc["tables"]) == 2, doc
t = doc["tables"][0]
assert t["target"] == {"schema": "Shop", "table": "orders"}, t["target"]
assert t["key"] == ["id"], t["key"]
assert t["filter"] == "id IN (2, 3, 5, 8, 13, 20, 21, 23) AND n1 IS NOT NULL", t["filter"]
cols = t["columns"]
assert cols[1] == {"source": "n1", "source_type": "bigint", "target": "num1",
                   "target_type": "bigint"}, cols[1]
assert cols[2] == {"source": "s1", "source_type": "text", "removed": True}, cols[2]
assert cols[5] == {"target": "op", "target_type": "text",
                   "added": "$AR_H_OPERATION || ':' || $s2"}, cols[5]
assert t["ddl"].startswith('CREATE TABLE "Shop".orders (\n  id bigint NOT NULL,'), t["ddl"]
assert t["sample"]["columns"] == ["id", "num1", "n2", "s2", "op"], t["sample"]["columns"]
PY
pass "--format json parses; --sample 3 gives the first 3 rows the filter keeps, mapped"

"$SLUICE" plan --sample 50 --format json pl.lua > plan50.json 2> plan.err ||
  { rc=$?; cat plan.err; fail "sluice plan --sample 50 exited $rc"; }
got=$(python3 -c '
import json
t = json.load(open("plan50.json"))["tables"][0]
print(json.dumps(t["sample"]["rows"]))')
[ "$got" = "$(expected_sample t1 50)" ] || fail "sample of 50 rows of t1: $got"
n=$(python3 -c 'import json; print(len(json.load(open("plan50.json"))["tables"][0]["sample"]["rows"]))')
[ "$n" = 8 ] || fail "the filter keeps 8 rows of t1, the sample shows $n"
pass "--sample 50: only the 8 rows the filter keeps (the others are absent), NULLs as null"

"$SLUICE" plan --sample 3 pl.lua > plans.out 2> plan.err || { rc=$?; cat plan.err; fail "plan --sample 3 exited $rc"; }
sed -n '/^table gen.t1/,/^$/p' plans.out | sed -n '/  sample:/,$p' > sample.out
python3 - "$(expected_sample t1 3)" > sample.want <<'PY'
import json, sys
cut = lambda v: v if len(v) <= 50 else v[:50] + "..."  # long values are cut for the screen
rows = [[cut(v) if v is not None else "NULL" for v in r] for r in json.loads(sys.argv[1])]
head = ["id", "num1", "n2", "s2", "op"]
w = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
line = lambda r: "    " + " | ".join(v.ljust(w[i]) if i + 1 < len(r) else v for i, v in enumerate(r))
print("  sample: 3 rows")
print(line(head))
print("    " + "-+-".join("-" * x for x in w))
for r in rows:
    print(line(r))
print()
PY
diff sample.want sample.out >&2 || fail "the text sample differs"
[ "$(others)" = "$before" ] || fail "plan --sample left files behind: $(others)"
pass "text sample: a table of the mapped rows; still nothing written"

# no mapping rules, a type rule that narrows text: the sample stops at the row the
# run would fail the table for, and says why
cat > tr.lua <<'LUA'
return {
  name = "tr",
  mode = "full-load",
  source = { plugin = "generator", tables = 1, rows = 60, columns = 3 },
  target = { plugin = "capture", path = "tr.journal" },
  type_rules = { ["text"] = { type = "varchar(30)" } },
}
LUA
"$SLUICE" plan --sample 5 tr.lua > tr.out 2> tr.err || { rc=$?; cat tr.err; fail "plan with type rules exited $rc"; }
cat > tr.want <<'OUT'
pipeline "tr" (full-load): 1 table, from source "generator" to target "capture"

table gen.t1 -> gen.t1
  columns:
    id bigint -> id bigint
    n1 bigint -> n1 bigint
    s1 text   -> s1 varchar(30)
  key: id
  filter: none
  target DDL:
    CREATE TABLE gen.t1 (
      id bigint NOT NULL,
      n1 bigint NOT NULL,
      s1 varchar(30) NOT NULL,
      PRIMARY KEY (id)
    );
  sample: 2 rows
    id | n1         | s1
    ---+------------+------------------------------
    1  | 704614311  | 1:wgo  ezmsqubiiyurnqrsiivg d
    2  | -400564325 | 2:k bfjtcxjit v yvliz zsdgj u
    then the mapping refused a row: table "gen.t1", column "s1": value "3:a ib l yk fnzx lo ctdbqlkthf  xm dow" has 38 characters, more than the 30 the target column holds (value policy length)
OUT
diff tr.want tr.out >&2 || fail "plan without mappings, with a type rule, differs"
"$SLUICE" plan --sample 5 --format json tr.lua 2> tr.err | python3 -c '
import json, sys
s = json.load(sys.stdin)["tables"][0]["sample"]
assert len(s["rows"]) == 2 and "value policy length" in s["refused"], s' || fail "JSON sample with a refused row"
[ ! -e tr.journal ] && [ ! -e .sluice ] || fail "plan wrote something"
pass "no mappings: columns pass; a type rule retypes (DDL follows); the sample stops at a refused row"

# errors: a bad option, a filter on a missing column (configuration, exit 3), usage (2)
sed 's/column = "n1", notnull/column = "nope", notnull/' pl.lua > bad.lua
rc=0; "$SLUICE" plan bad.lua > bad.out 2> bad.err || rc=$?
[ "$rc" = 3 ] && grep -q 'the filter names column "nope"' bad.err || { cat bad.err; fail "filter on a missing column: exit $rc"; }
sed 's/rows = 60/rowz = 60/' pl.lua > typo.lua
rc=0; "$SLUICE" plan typo.lua > /dev/null 2> typo.err || rc=$?
[ "$rc" = 3 ] && grep -q 'typo.lua:4: unrecognized option "rowz"' typo.err || { cat typo.err; fail "option typo: exit $rc"; }
rc=0; "$SLUICE" plan --sample 0 pl.lua > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--sample 0: exit $rc"
rc=0; "$SLUICE" plan --format yaml pl.lua > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--format yaml: exit $rc"
[ ! -e .sluice ] && [ ! -e pl.journal ] || fail "a failed plan wrote something"
pass "errors: configuration exit 3 (the rule named), usage exit 2, nothing written"

"$SLUICE" help | grep -q '^  plan ' || fail "sluice help does not list plan"
"$SLUICE" plan --help | grep -q 'usage: sluice plan' || fail "sluice plan --help"
pass "plan is in sluice help and has its own --help"
finish
