#!/usr/bin/env bash
# TargetTablePrepMode at a PostgreSQL target: DROP_AND_CREATE recreates the
# table, TRUNCATE_BEFORE_LOAD empties it but keeps the table itself,
# DO_NOTHING keeps it and its rows (creating only what is missing), and a rerun
# after a completed load does nothing.
. "$(dirname "$0")/common.sh"
make_db prep_modes

gen='tables = 2, rows = 500'
args=(--tables 2 --rows 500 --txns 0)
stray="INSERT INTO gen.t1 (id, n1, s1) VALUES (999999, 1, 'stray')"
load() { # load MODE: a full load with a fresh state directory
  rm -rf .sluice
  write_pipeline pm.lua full-load "$gen" '' "TargetTablePrepMode = \"$1\""
  "$SLUICE" run pm.lua > "$1.log" 2>&1 || { cat "$1.log"; fail "$1 run exited $?"; }
}

load DROP_AND_CREATE
check_target "${args[@]}"
grep -q 'created table "gen.t1"' DROP_AND_CREATE.log || fail "gen.t1 was not created"
pass "DROP_AND_CREATE creates missing tables and loads them"

sql "$stray; ALTER TABLE gen.t1 ADD COLUMN extra int"
load DROP_AND_CREATE
check_target "${args[@]}"
grep -q 'dropped and created table "gen.t1"' DROP_AND_CREATE.log || fail "gen.t1 was not recreated"
[ "$(sql "SELECT count(*) FROM pg_attribute WHERE attrelid = 'gen.t1'::regclass AND attname = 'extra'")" = 0 ] ||
  fail "the recreated table kept a column of the old one"
pass "DROP_AND_CREATE drops the old table (its rows and its columns) and creates it again"

sql "$stray; COMMENT ON TABLE gen.t1 IS 'kept'"
load TRUNCATE_BEFORE_LOAD
check_target "${args[@]}"
grep -q 'truncated table "gen.t1"' TRUNCATE_BEFORE_LOAD.log || fail "gen.t1 was not truncated"
[ "$(sql "SELECT obj_description('gen.t1'::regclass)")" = kept ] || fail "TRUNCATE_BEFORE_LOAD replaced the table"
pass "TRUNCATE_BEFORE_LOAD empties the table and keeps the table itself"

sql "TRUNCATE gen.t1; $stray; DROP TABLE gen.t2"
load DO_NOTHING
"$EXPECT" "${args[@]}" > expect.out
{ grep -v $'^gen.t1\t999999\t' <(dump_target) ; } > target.out
cmp -s expect.out target.out || { diff expect.out target.out | head; fail "DO_NOTHING load differs"; }
[ "$(sql "SELECT s1 FROM gen.t1 WHERE id = 999999")" = stray ] || fail "DO_NOTHING lost an existing row"
grep -q 'created table "gen.t2"' DO_NOTHING.log || fail "DO_NOTHING did not create the missing gen.t2"
pass "DO_NOTHING keeps existing tables and rows and creates only missing tables"

before=$(dump_target | md5sum)
"$SLUICE" run pm.lua > again.log 2>&1 || { cat again.log; fail "rerun exited $?"; }
[ "$(dump_target | md5sum)" = "$before" ] || fail "a rerun after a completed load changed the target"
! grep -q 'table "gen' again.log || { cat again.log; fail "a rerun after a completed load touched tables"; }
pass "a rerun after a completed load leaves the target as it is"
finish
