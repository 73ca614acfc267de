#!/usr/bin/env bash
# Type rules through a real PostgreSQL-to-PostgreSQL run: pg_to_pg is chosen
# and keeps the binary path; a pipeline override retypes columns and converts
# time zones; a value too long for an overridden varchar fails its table.
. "$(dirname "$0")/../pg/e2e/common.sh"

src -c "CREATE TABLE t (id int PRIMARY KEY, code varchar(10), at timestamp);
        INSERT INTO t SELECT g, 'c' || g, '2024-03-30 23:00:00'::timestamp + g * interval '2 hours'
          FROM generate_series(1, 6) g;
        ANALYZE"

write_pipeline plain.lua full-load
"$SLUICE" run plain.lua > run.log 2>&1 || fail "sluice exited $? (see run.log)"
grep -q 'type rules pg_to_pg.lua: 1 entries, every type kept as it is' run.log ||
  fail "pg_to_pg was not chosen: $(grep 'type rules' run.log)"
grep -q 'full load: 1 of 1 tables move in their native binary form' run.log ||
  fail "pg_to_pg left the binary path: $(grep 'native binary form' run.log)"
same_tables || fail "target differs from the source"
pass "pg_to_pg is chosen by the plugin names and keeps the binary full load"

tgt -c "DROP TABLE t"
write_pipeline retyped.lua full-load
sed -i 's|^}$|  type_rules = {\n    ["integer"] = { type = "bigint" },\n    ["timestamp without time zone"] = { type = "timestamptz", time_zone = "Europe/Berlin" },\n  },\n}|' retyped.lua
"$SLUICE" run retyped.lua > run.log 2>&1 || fail "sluice exited $? (see run.log)"
grep -q 'full load: 0 of 1 tables move in their native binary form' run.log ||
  fail "a retyped table kept the binary path"
[ "$(tgt -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum" | tr '\n' ' ')" = "bigint character varying(10) timestamp with time zone " ] ||
  fail "target types: $(tgt -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0")"
want=$(src -c "SELECT string_agg(id || '=' || extract(epoch FROM at AT TIME ZONE 'Europe/Berlin'), ',' ORDER BY id) FROM t")
got=$(tgt -c "SELECT string_agg(id || '=' || extract(epoch FROM at), ',' ORDER BY id) FROM t")
[ "$want" = "$got" ] || fail "time zone: want $want, got $got"
pass "type_rules overrides retype columns and read timestamps in their zone (across the DST change)"

src -c "INSERT INTO t VALUES (7, 'abcdefgh', now())"
tgt -c "DROP TABLE t"
write_pipeline short.lua full-load
sed -i 's|^}$|  type_rules = { ["character varying(10)"] = { type = "varchar(5)" } },\n}|' short.lua
rc=0
"$SLUICE" run short.lua > run.log 2>&1 || rc=$?
[ $rc -eq 8 ] || fail "expected exit 8 (table errors), got $rc"
grep -q 'error: table "public.t", column "code": value "abcdefgh" has 8 characters, more than the 5 the target column holds (value policy length)' run.log ||
  fail "row error missing: $(grep -i error run.log)"
pass "a value longer than the target's varchar fails its table with table, column, value and policy"
finish
