#!/usr/bin/env bash
# Full load generator -> sink-pg: several tables in chunks, two lanes, COPY text
# with awkward characters and NULLs; the target equals the generator's model.
. "$(dirname "$0")/common.sh"
make_db full_load

gen='tables = 4, rows = 5000, columns = 7, special_text = true, history = 25, chunk_rows = 1000'
write_pipeline fl.lua full-load "$gen" '' \
  'BatchRows = 300, FullLoadChunkRows = 1000, MaxFullLoadSubTasks = 2'
"$SLUICE" run fl.lua > run.log 2>&1 || { cat run.log; fail "run exited $?"; }
check_target --tables 4 --rows 5000 --columns 7 --special-text --upto 25
pass "4 tables in chunks of 1000 over 2 lanes: the target equals the snapshot at txn 25"

chunks=$(sed -n 's/.*full load: 4 tables in \([0-9]*\) chunks, 2 at a time.*/\1/p' run.log)
[ "${chunks:-0}" -ge 20 ] || { cat run.log; fail "the tables were not loaded in chunks over 2 lanes"; }
[ "$(sql "SELECT count(*) FROM gen.t1 WHERE strpos(s1, E'\\t\\\\\\n\\u00e9') > 0")" -gt 0 ] ||
  fail "no text with tab, backslash and newline reached the target"
[ "$(sql "SELECT count(*) FROM gen.t2 WHERE s2 IS NULL")" -gt 0 ] || fail "no NULLs reached the target"
pass "texts with tab, backslash, newline and UTF-8 and NULLs survive COPY"

cols=$(sql "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) ||
            CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
            FROM pg_attribute WHERE attrelid = 'gen.t3'::regclass AND attnum > 0")
[ "$cols" = "id bigint not null, n1 bigint not null, s1 text not null, n2 bigint, s2 text, n3 bigint, s3 text" ] ||
  fail "gen.t3 columns: $cols"
[ "$(sql "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'gen.t3'::regclass AND contype = 'p'")" = "PRIMARY KEY (id)" ] ||
  fail "gen.t3 has no primary key on id"
pass "tables are created from the source schema: types, NOT NULL, primary key"

[ "$(sql "SELECT count(*) FROM sluice.sluice_checkpoint")" = 0 ] || fail "a full load wrote a checkpoint"
pass "a full load writes no checkpoint"

# Wide rows: 16+ columns and long texts.
rm -rf .sluice
sql "DROP SCHEMA gen CASCADE"
write_pipeline wide.lua full-load 'tables = 2, rows = 3000, wide = true, special_text = true, chunk_rows = 700' '' \
  'BatchRows = 128, FullLoadChunkRows = 700, MaxFullLoadSubTasks = 2'
"$SLUICE" run wide.lua > wide.log 2>&1 || { cat wide.log; fail "wide run exited $?"; }
check_target --tables 2 --rows 3000 --wide --special-text --txns 0
pass "wide tables with long texts load exactly"
finish
