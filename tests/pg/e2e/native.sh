#!/usr/bin/env bash
# The full load's binary form (ABI 1.3 native values) where it must give way:
#  - a pre-created target table (TargetTablePrepMode DO_NOTHING) whose column type
#    differs from the source's (bigint for int) loads as text, correctly, while a
#    table whose types match loads in binary form;
#  - error_policy = record with a binary batch holding a row the target refuses
#    (a CHECK constraint): that row lands in the errors table with readable values,
#    every other row is loaded.
. "$(dirname "$0")/common.sh"

src -c "CREATE TABLE widened (id int PRIMARY KEY, v int, s text);
        INSERT INTO widened SELECT g, g * 3, 'w' || g FROM generate_series(1, 3000) g;
        CREATE TABLE same (id int PRIMARY KEY, v numeric(12,2), t timestamptz, b bytea);
        INSERT INTO same SELECT g, g / 7.0, '2024-01-01'::timestamptz + g * interval '1 min',
          decode(md5(g::text), 'hex') FROM generate_series(1, 3000) g;
        CREATE TABLE checked (id int PRIMARY KEY, v int, note text);
        INSERT INTO checked SELECT g, g, 'n' || g FROM generate_series(1, 3000) g;
        UPDATE checked SET v = 5000, note = 'too big' WHERE id = 1234;
        ANALYZE"
tgt -c "CREATE TABLE widened (id int PRIMARY KEY, v bigint, s text);
        CREATE TABLE same (id int PRIMARY KEY, v numeric(12,2), t timestamptz, b bytea);
        CREATE TABLE checked (id int PRIMARY KEY, v int CHECK (v < 4000), note text)"
write_pipeline native.lua full-load \
  'TargetTablePrepMode = "DO_NOTHING", MaxFullLoadSubTasks = 2, BatchRows = 500' '' \
  'error_policy = "record", checkpoint_key = "native"'
"$SLUICE" run native.lua > run.log 2>&1 || fail "sluice exited $? (see run.log)"

grep -q 'full load: 2 of 3 tables move in their native binary form' run.log ||
  fail "expected 2 of 3 tables in binary form: $(grep 'native binary form' run.log)"
grep -q 'table "public.widened" is loaded as text: column "v" is integer at the source and bigint at the target' run.log ||
  fail "widened did not fall back to text with its reason"
pass "a column of another type at the target keeps its table in text; matching tables go binary"

digest() { # digest DB TABLE [WHERE]
  psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT count(*), md5(string_agg(r::text, E'\n' ORDER BY r::text))
    FROM $2 r ${3:-}"
}
for t in widened same; do
  [ "$(digest "$SRC" $t)" = "$(digest "$TGT" $t)" ] || fail "table $t differs from the source"
done
pass "both load value for value (text and binary)"

[ "$(digest "$SRC" checked 'WHERE id <> 1234')" = "$(digest "$TGT" checked)" ] ||
  fail "checked: the target should hold every row but the refused one"
pass "record: every row but the refused one is loaded from the binary batch"

got=$(tgt -c "SELECT table_name, phase, operation, sqlstate, new_row->>'id', new_row->>'v', new_row->>'note'
              FROM sluice.sluice_errors WHERE pipeline = 'native'")
[ "$got" = "checked|full-load|insert|23514|1234|5000|too big" ] ||
  fail "errors table: expected the refused row with readable values, got: $got"
pass "record: the refused row is in the errors table, its values as text ($got)"
finish
