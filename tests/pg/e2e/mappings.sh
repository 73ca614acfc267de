#!/usr/bin/env bash
# Mapping rules PostgreSQL to PostgreSQL, by full load and by CDC: selection
# (include with wildcards, a later exclude), a row filter (pushed into the
# source's COPY query and applied to the change stream), and transformations
# (schema and table renames, lowercase columns, a removed column, a changed
# type, added columns with a constant and with source metadata). The target
# is checked row by row against what the rules say it must hold.
. "$(dirname "$0")/common.sh"
export PGOPTIONS="-c TimeZone=UTC"

src -c 'CREATE SCHEMA sales; CREATE SCHEMA audit;
  CREATE TABLE sales.orders ("Id" int PRIMARY KEY, "Region" text, amount numeric(12,2), secret text);
  CREATE TABLE sales.order_notes (id int PRIMARY KEY, note text);
  CREATE TABLE sales.tmp_scratch (id int PRIMARY KEY);
  CREATE TABLE audit.log (id int PRIMARY KEY);
  INSERT INTO sales.orders SELECT g, CASE WHEN g % 3 = 0 THEN $$EU$$ ELSE $$US$$ END, g * 1.5, $$s$$ || g
    FROM generate_series(1, 300) g;
  INSERT INTO sales.order_notes SELECT g, $$n$$ || g FROM generate_series(1, 5) g;
  INSERT INTO sales.tmp_scratch VALUES (1); INSERT INTO audit.log VALUES (1)'

cat > m.lua <<LUA
return {
  name = "m",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT", schemas = "sales,audit" },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT" },
  settings = { StatusIntervalMs = 100, FlushIntervalMs = 50 },
  mappings = {
    { rule = "include", schema = "sales", table = "order%",
      filters = { { column = "Region", eq = "EU", ["in"] = { "APAC" } } } },
    { rule = "include", schema = "sales", table = "order_notes" },
    { rule = "rename", schema = "sales", value = "shop" },
    { rule = "add-prefix", target = "table", schema = "sales", table = "%", value = "t_" },
    { rule = "convert-lowercase", target = "column", schema = "%", table = "%", column = "%" },
    { rule = "remove-column", schema = "sales", table = "orders", column = "secret" },
    { rule = "change-data-type", schema = "sales", table = "orders", column = "amount",
      data_type = "numeric(20,4)" },
    { rule = "add-column", schema = "sales", table = "orders", column = "origin",
      data_type = "text", value = "legacy" },
    { rule = "add-column", schema = "sales", table = "orders", column = "op",
      data_type = "text", expression = "\$AR_H_OPERATION || ':' || \$Region" },
  },
}
LUA
"$SLUICE" run m.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

tables=$(tgt -c "SELECT string_agg(table_schema || '.' || table_name, ' ' ORDER BY 1)
                 FROM information_schema.tables WHERE table_schema NOT IN
                 ('pg_catalog', 'information_schema', 'sluice')")
[ "$tables" = "shop.t_order_notes shop.t_orders" ] || fail "tables at the target: $tables"
pass "selection: include with a wildcard, nothing else; schema renamed, table prefixed"

cols=$(tgt -c "SELECT string_agg(column_name || ' ' || data_type ||
                 coalesce('(' || numeric_precision || ',' || numeric_scale || ')', ''), ', '
                 ORDER BY ordinal_position) FROM information_schema.columns
               WHERE table_schema = 'shop' AND table_name = 't_orders'")
[ "$cols" = "id integer(32,0), region text, amount numeric(20,4), origin text, op text" ] ||
  fail "columns of shop.t_orders: $cols"
pass "columns lowercased, one removed, one retyped, two added: $cols"

got=$(tgt -c "SELECT count(*), min(id), max(id), count(DISTINCT region), sum(amount),
                     count(*) FILTER (WHERE origin = 'legacy' AND op = 'LOAD:EU')
              FROM shop.t_orders")
[ "$got" = "100|3|300|1|22725.0000|100" ] || fail "full load of shop.t_orders: $got"
[ "$(tgt -c 'SELECT count(*) FROM shop.t_order_notes')" = 5 ] || fail "order_notes not loaded"
pass "full load: only the rows the filter selects (100 EU orders), added values filled"

src -c "INSERT INTO sales.orders VALUES (1001, 'EU', 1, 'x'), (1002, 'US', 2, 'y'), (1003, 'APAC', 3, 'z');
        UPDATE sales.orders SET amount = 99 WHERE \"Id\" IN (3, 4);
        DELETE FROM sales.orders WHERE \"Id\" = 6;
        INSERT INTO audit.log VALUES (2); INSERT INTO sales.tmp_scratch VALUES (2);
        INSERT INTO sales.order_notes VALUES (999, 'marker')"
for _ in $(seq 300); do [ "$(tgt -c 'SELECT count(*) FROM shop.t_order_notes WHERE id = 999')" = 1 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "sluice exited $?"
got=$(tgt -c "SELECT string_agg(id || ':' || region || ':' || amount || ':' || op, ' ' ORDER BY id)
              FROM shop.t_orders WHERE id IN (3, 4, 6, 1001, 1002, 1003)")
[ "$got" = "3:EU:99.0000:UPDATE:EU 1001:EU:1.0000:INSERT:EU 1003:APAC:3.0000:INSERT:APAC" ] ||
  fail "CDC through the rules: $got"
pass "CDC: the filter holds on inserts and updates, deletes apply, metadata columns say the operation"
finish
