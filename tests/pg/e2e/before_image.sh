#!/usr/bin/env bash
# Before images and Lua-computed columns, PostgreSQL to PostgreSQL:
# - add-before-image-columns from a DMS JSON document loaded unchanged
#   (table_mappings_json): BI_ columns typed as their source columns, holding
#   the row's values before each update; NULL for full-load rows and inserts.
#   With REPLICA IDENTITY FULL the source sends every old value; with the
#   default identity only the key, so the other BI_ columns stay NULL.
# - add-column with a Lua fn: the column's value is the function's result,
#   computed per row in full load and in CDC.
. "$(dirname "$0")/common.sh"
export PGOPTIONS="-c TimeZone=UTC"

src -c 'CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2), note text);
  ALTER TABLE accounts REPLICA IDENTITY FULL;
  CREATE TABLE plain (id int PRIMARY KEY, v int);
  INSERT INTO accounts SELECT g, $$o$$ || g, g * 10, NULL FROM generate_series(1, 5) g;
  INSERT INTO plain SELECT g, g FROM generate_series(1, 3) g'

cat > dms.json <<'JSON'
{
  "rules": [
    { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
      "object-locator": { "schema-name": "public", "table-name": "%" },
      "rule-action": "include" },
    { "rule-type": "transformation", "rule-id": "2", "rule-name": "bi-accounts",
      "rule-target": "column",
      "object-locator": { "schema-name": "public", "table-name": "accounts" },
      "rule-action": "add-before-image-columns",
      "before-image-def": { "column-prefix": "BI_", "column-suffix": "",
                            "column-filter": "non-lob" } },
    { "rule-type": "transformation", "rule-id": "3", "rule-name": "bi-plain",
      "rule-target": "column",
      "object-locator": { "schema-name": "public", "table-name": "plain" },
      "rule-action": "add-before-image-columns",
      "before-image-def": { "column-prefix": "was_", "column-suffix": "_before",
                            "column-filter": "all" } }
  ]
}
JSON

cat > m.lua <<LUA
return {
  name = "m",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT" },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT" },
  settings = { StatusIntervalMs = 100, FlushIntervalMs = 50 },
  mappings = {
    table_mappings_json "dms.json",
    { rule = "add-column", schema = "public", table = "accounts", column = "label",
      data_type = "text", fn = function(t)
        local owner, balance = t:column("owner"), t:column("balance")
        return function(row)
          if row:get(owner) == sluice.null then return sluice.null end
          return row:op() .. ":" .. row:get(owner) .. "=" .. row:get(balance)
        end
      end },
  },
}
LUA
"$SLUICE" plan m.lua > plan.txt 2>&1 || { cat plan.txt; fail "sluice plan exited $?"; }
grep -Eq -- '-> "BI_balance" +numeric\(12,2\) +added: before image of \$balance' plan.txt &&
  grep -Eq -- '-> label +text +added: Lua fn' plan.txt &&
  grep -Eq -- '-> was_v_before +integer +added: before image of \$v' plan.txt ||
  { cat plan.txt; fail "sluice plan does not show the before images and the Lua column"; }
pass "sluice plan shows before-image and Lua-computed columns"

"$SLUICE" run m.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

cols=$(tgt -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
               FROM information_schema.columns WHERE table_name = 'accounts'")
# non-lob: text columns are LOBs to DMS, so owner and note get no BI_ column
[ "$cols" = "id integer, owner text, balance numeric, note text, BI_id integer, BI_balance numeric, label text" ] ||
  fail "columns of accounts: $cols"
cols=$(tgt -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
               FROM information_schema.columns WHERE table_name = 'plain'")
[ "$cols" = "id integer, v integer, was_id_before integer, was_v_before integer" ] ||
  fail "columns of plain: $cols"
pass "before-image columns from DMS JSON (non-lob and all, prefix and suffix), typed as their columns"

got=$(tgt -c 'SELECT string_agg(id || $$:$$ || coalesce("BI_id"::text, $$-$$) || $$:$$ || label, $$ $$ ORDER BY id)
              FROM accounts')
[ "$got" = "1:-:LOAD:o1=10.00 2:-:LOAD:o2=20.00 3:-:LOAD:o3=30.00 4:-:LOAD:o4=40.00 5:-:LOAD:o5=50.00" ] ||
  fail "full load of accounts: $got"
pass "full load: before images NULL, the Lua column filled"

src -c "UPDATE accounts SET balance = balance + 1, owner = 'new' WHERE id IN (1, 2);
        UPDATE accounts SET id = 10 WHERE id = 3;
        INSERT INTO accounts VALUES (6, NULL, 60, 'n');
        DELETE FROM accounts WHERE id = 4;
        UPDATE plain SET v = v * 100 WHERE id = 2;
        UPDATE plain SET id = 30 WHERE id = 3;
        INSERT INTO plain VALUES (99, 99)"
for _ in $(seq 300); do [ "$(tgt -c 'SELECT count(*) FROM plain WHERE id = 99')" = 1 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "sluice exited $?"

got=$(tgt -c "SELECT string_agg(concat_ws(':', id, coalesce(\"BI_id\"::text, '-'),
                       coalesce(\"BI_balance\"::text, '-'), coalesce(label, '-')), ' ' ORDER BY id)
              FROM accounts")
[ "$got" = "1:1:10.00:UPDATE:new=11.00 2:2:20.00:UPDATE:new=21.00 5:-:-:LOAD:o5=50.00 6:-:-:- 10:3:30.00:UPDATE:o3=30.00" ] ||
  fail "CDC on accounts (REPLICA IDENTITY FULL): $got"
pass "CDC, identity full: updates carry every old value (a changed key too), inserts none, the Lua column follows"

got=$(tgt -c "SELECT string_agg(concat_ws(':', id, v, coalesce(was_id_before::text, '-'),
                       coalesce(was_v_before::text, '-')), ' ' ORDER BY id) FROM plain")
[ "$got" = "1:1:-:- 2:200:-:- 30:3:3:- 99:99:-:-" ] || fail "CDC on plain (default identity): $got"
pass "CDC, default identity: only a changed key has an old image; other before images stay NULL"
finish
