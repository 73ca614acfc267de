#!/usr/bin/env bash
# sluice plan against a real PostgreSQL source: it prints the mapping and the
# target DDL and samples rows, and leaves no trace: no replication slot, no
# publication, nothing new at the target (which it does not even need to
# reach). The DDL it prints is valid: run on a scratch database, it makes the
# columns, types, nullability and key the plan shows.
. "$(dirname "$0")/common.sh"
export PGOPTIONS="-c TimeZone=UTC"
SCRATCH="e2e_scr_${NAME}_$$"
trap 'rc_=$?; dropdb --if-exists --force "$SCRATCH" 2>/dev/null || true; (exit $rc_); cleanup' EXIT

src -c 'CREATE SCHEMA sales; CREATE TYPE sales.mood AS ENUM ($$ok$$, $$sad$$);
  CREATE TABLE sales.orders ("Id" int PRIMARY KEY, "Region" text NOT NULL, amount numeric(12,2),
    secret text, placed timestamptz, tags text[], note varchar(40), mood sales.mood,
    "select" boolean);
  CREATE TABLE sales.order_lines (order_id int, line int, qty smallint, PRIMARY KEY (order_id, line));
  CREATE TABLE sales.tmp_scratch (id int PRIMARY KEY);
  INSERT INTO sales.orders SELECT g, CASE WHEN g % 3 = 0 THEN $$EU$$ ELSE $$US$$ END, g * 1.5,
    $$s$$ || g, $$2026-01-01 00:00:00+00$$::timestamptz + g * interval $$1 hour$$,
    ARRAY[$$a$$, $$b$$ || g], CASE WHEN g % 2 = 0 THEN $$n$$ || g END, $$ok$$, g % 2 = 0
    FROM generate_series(1, 300) g;
  INSERT INTO sales.order_lines SELECT g, 1, g FROM generate_series(1, 5) g'

cat > p.lua <<LUA
return {
  name = "p",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT", schemas = "sales" },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT" },
  mappings = {
    { rule = "include", schema = "sales", table = "order%",
      filters = { { column = "Region", eq = "EU" } } },
    { rule = "include", schema = "sales", table = "order_lines" },
    { rule = "rename", schema = "sales", value = "shop" },
    { rule = "add-prefix", target = "table", schema = "sales", table = "%", value = "t_" },
    { rule = "convert-lowercase", target = "column", schema = "%", table = "%", column = "%" },
    { rule = "remove-column", schema = "sales", table = "orders", column = "secret" },
    { rule = "change-data-type", schema = "sales", table = "orders", column = "amount",
      data_type = "numeric(20,4)" },
    { rule = "add-column", schema = "sales", table = "orders", column = "op",
      data_type = "text", expression = "\$AR_H_OPERATION || ':' || \$Region" },
  },
}
LUA

slots() { psql -X -At -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'"; }
target_objects() {
  tgt -c "SELECT string_agg(nspname, ' ' ORDER BY nspname) FROM pg_namespace" &&
    tgt -c "SELECT count(*) FROM pg_class WHERE relnamespace NOT IN
              (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast'))"
}
target_before=$(target_objects)

"$SLUICE" plan --sample 4 p.lua > plan.out 2> run.log || { rc=$?; cat run.log; fail "sluice plan exited $rc"; }
sed -n '/^table sales.orders/,/^  sample/p' plan.out > orders.out
cat > orders.want <<'OUT'
table sales.orders -> shop.t_orders
  columns:
    "Id"     integer                  -> id       integer
    "Region" text                     -> region   text
    amount   numeric(12,2)            -> amount   numeric(20,4)
    secret   text                     -> removed
    placed   timestamp with time zone -> placed   timestamp with time zone
    tags     text[]                   -> tags     text[]
    note     character varying(40)    -> note     character varying(40)
    mood     sales.mood               -> mood     sales.mood
    "select" boolean                  -> "select" boolean
                                      -> op       text                      added: $AR_H_OPERATION || ':' || $Region
  key: id
  filter: "Region" = 'EU'
  target DDL:
    CREATE TABLE shop.t_orders (
      id integer NOT NULL,
      region text NOT NULL,
      amount numeric(20,4),
      placed timestamp with time zone,
      tags text[],
      note character varying(40),
      mood sales.mood,
      "select" boolean,
      op text,
      PRIMARY KEY (id)
    );
  sample: 4 rows
OUT
diff orders.want orders.out >&2 || fail "the plan of sales.orders differs (- expected, + printed)"
pass "plan: tables, renames, types (the source's names: both ends PostgreSQL), key, filter"

[ "$(slots)" = 0 ] || fail "plan created the replication slot"
[ "$(src -c "SELECT count(*) FROM pg_publication")" = 0 ] || fail "plan created a publication"
[ "$(target_objects)" = "$target_before" ] || fail "plan changed the target: $(target_objects)"
[ ! -e .sluice ] || fail "plan created a state directory"
pass "no slot, no publication, nothing new at the target, no state directory"

# the sample: the first 4 EU orders, mapped
"$SLUICE" plan --sample 4 --format json p.lua > plan.json 2> run.log ||
  { rc=$?; cat run.log; fail "sluice plan --format json exited $rc"; }
python3 - <<'PY' || fail "the JSON plan"
import json
doc = json.load(open("plan.json"))
names = [(t["source"]["table"], t["target"]["schema"] + "." + t["target"]["table"]) for t in doc["tables"]]
assert names == [("order_lines", "shop.t_order_lines"), ("orders", "shop.t_orders")], names
t = doc["tables"][1]
s = t["sample"]
assert s["columns"] == ["id", "region", "amount", "placed", "tags", "note", "mood", "select", "op"], s
assert [r[0] for r in s["rows"]] == ["3", "6", "9", "12"], s["rows"]
assert s["rows"][0] == ["3", "EU", "4.50", "2026-01-01 03:00:00+00", "{a,b3}", None, "ok", "f",
                        "LOAD:EU"], s["rows"][0]
assert s["rows"][1][5] == "n6", s["rows"][1]
PY
pass "--sample 4: the first 4 rows the filter keeps (EU), as the mapping makes them"

# the DDL: valid PostgreSQL that makes what the plan says
createdb "$SCRATCH"
python3 -c '
import json
for t in json.load(open("plan.json"))["tables"]:
    print(t["ddl"])' > ddl.sql
psql -X -q -v ON_ERROR_STOP=1 -d "$SCRATCH" -c "CREATE SCHEMA sales; CREATE TYPE sales.mood AS ENUM ('ok', 'sad'); CREATE SCHEMA shop" ||
  fail "scratch schemas"
psql -X -q -v ON_ERROR_STOP=1 -d "$SCRATCH" -f ddl.sql > ddl.log 2>&1 || { cat ddl.log ddl.sql; fail "the printed DDL does not run"; }
cols=$(psql -X -At -d "$SCRATCH" -c "SELECT string_agg(column_name || ' ' ||
         CASE WHEN data_type = 'USER-DEFINED' THEN udt_schema || '.' || udt_name ELSE data_type END ||
         coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') ||
         coalesce('(' || character_maximum_length || ')', '') ||
         CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END, ', ' ORDER BY ordinal_position)
       FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 't_orders'")
want="id integer(32,0) not null, region text not null, amount numeric(20,4), placed timestamp with time zone, tags ARRAY, note character varying(40), mood sales.mood, select boolean, op text"
[ "$cols" = "$want" ] || fail "columns the DDL made: $cols"
key=$(psql -X -At -d "$SCRATCH" -c "SELECT string_agg(k.column_name, ',' ORDER BY k.ordinal_position)
        FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k
          USING (constraint_schema, constraint_name)
        WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'shop' AND c.table_name = 't_order_lines'")
[ "$key" = "order_id,line" ] || fail "key the DDL made for t_order_lines: $key"
python3 - "$cols" <<'PY' || fail "the plan's target types and the created columns disagree"
import json, sys
t = json.load(open("plan.json"))["tables"][1]
shown = ", ".join(c["target"] for c in t["columns"] if "target" in c)
created = ", ".join(c.split(" ")[0] for c in sys.argv[1].split(", "))
assert shown == created, (shown, created)
PY
pass "the DDL runs on a scratch database and makes the columns, types, nullability and keys shown"

# the target is not contacted at all; an unreachable source is exit 5
sed "s/conninfo = \"dbname=$TGT\"/conninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"/" p.lua > nt.lua
grep -q 'port=1' nt.lua || fail "could not write nt.lua"
"$SLUICE" plan --sample 4 nt.lua > nt.out 2> nt.log ||
  { rc=$?; cat nt.log; fail "plan with an unreachable target exited $rc"; }
cmp -s plan.out nt.out || { diff plan.out nt.out >&2; fail "plan without the target differs"; }
sed "s/conninfo = \"dbname=$SRC\"/conninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"/" p.lua > ns.lua
rc=0; "$SLUICE" plan ns.lua > ns.out 2> ns.log || rc=$?
[ "$rc" = 5 ] || { cat ns.log; fail "plan with an unreachable source: exit $rc, not 5"; }
[ ! -s ns.out ] || fail "plan printed a plan without its source"
[ "$(slots)" = 0 ] && [ ! -e .sluice ] || fail "something was left behind"
pass "the target is never contacted (unreachable: same plan); an unreachable source is exit 5"
finish
