#!/usr/bin/env bash
# error_policy in the full load. The target tables exist (TargetTablePrepMode
# DO_NOTHING) with CHECK (n1 % 13 <> 0), which about one generator row in 13
# breaks; gen.t3 has no CHECK. With record the load succeeds, every good row is
# there, and the errors table holds exactly the rejected rows, whole; with stop
# the tables with rejected rows fail with the server's message.
. "$(dirname "$0")/common.sh"
make_db record_load

MOD=13
gen='tables = 3, rows = 5000, columns = 5, special_text = true, history = 25, chunk_rows = 1000'
args=(--tables 3 --rows 5000 --columns 5 --special-text --upto 25)
settings='TargetTablePrepMode = "DO_NOTHING", BatchRows = 300, FullLoadChunkRows = 1000, MaxFullLoadSubTasks = 2'

create_tables() {
  sql "DROP SCHEMA IF EXISTS gen CASCADE; CREATE SCHEMA gen"
  for t in t1 t2 t3; do
    check="CONSTRAINT n1_not_$MOD CHECK (n1 % $MOD <> 0)"
    [ $t = t3 ] && check=""
    sql "CREATE TABLE gen.$t (id bigint PRIMARY KEY, n1 bigint NOT NULL $check, s1 text NOT NULL,
                               n2 bigint, s2 text)"
  done
}

# The generator's rows, split by the CHECK (column 3 is n1; gen.t3 takes every row).
"$EXPECT" "${args[@]}" > all.out
awk -F'\t' -v m=$MOD '$1 == "gen.t3" || $3 % m != 0' all.out > good.out
awk -F'\t' -v m=$MOD '$1 != "gen.t3" && $3 % m == 0' all.out > rejected.out
nrejected=$(wc -l < rejected.out)
[ "$nrejected" -gt 100 ] || fail "the CHECK rejects only $nrejected rows: pick another one"

# The rejected rows as the errors table holds them, back in their table's row type.
dump_rejected() {
  local t
  for t in t1 t2 t3; do
    sql "COPY (SELECT 'gen.$t', r.* FROM sluice.sluice_errors e,
                      json_populate_record(NULL::gen.$t, e.new_row) r
               WHERE e.table_schema = 'gen' AND e.table_name = '$t' ORDER BY r.id) TO STDOUT"
  done
}

create_tables
write_pipeline rec.lua full-load "$gen" 'error_policy = "record"' "$settings"
"$SLUICE" run rec.lua > rec.log 2>&1 || { cat rec.log; fail "record run exited $?"; }
dump_target > target.out
cmp -s good.out target.out || { diff good.out target.out | head >&2; fail "the good rows differ"; }
pass "record: exit 0, every row the CHECK accepts is loaded ($(wc -l < good.out) rows)"

dump_rejected > recorded.out
cmp -s rejected.out recorded.out ||
  { diff rejected.out recorded.out | head >&2; fail "the errors table differs from the rejected rows"; }
[ "$(sql "SELECT count(*) FROM sluice.sluice_errors")" = "$nrejected" ] || fail "extra rows in the errors table"
[ "$(sql "SELECT DISTINCT pipeline || ' ' || phase || ' ' || operation || ' ' || sqlstate || ' ' ||
                 (position IS NULL) || ' ' || (source_xid IS NULL) FROM sluice.sluice_errors")" = \
  "default full-load insert 23514 true true" ] || fail "errors table: unexpected phase, operation or sqlstate"
[ "$(sql "SELECT count(*) FROM sluice.sluice_errors WHERE message <> 'new row for relation \"' ||
                 table_name || '\" violates check constraint \"n1_not_$MOD\"' OR detail NOT LIKE 'Failing row contains (%'")" = 0 ] ||
  fail "errors table: the server's message or detail is missing"
pass "record: the errors table holds exactly the $nrejected rejected rows, whole, with the server's message"

grep -q "recording it in \"sluice.sluice_errors\": new row for relation" rec.log &&
  grep -q '"rows_rejected": '"$nrejected" .sluice/rec/status.json ||
  { cat rec.log; fail "no warning about recorded rows, or rows_rejected is not $nrejected"; }
pass "record: warned about recorded rows; status counts rows_rejected = $nrejected"

# The same load with the default policy: the tables with rejected rows fail.
create_tables
rm -rf .sluice
sql "DROP SCHEMA sluice CASCADE"
write_pipeline stop.lua full-load "$gen" '' "$settings"
rc=0
"$SLUICE" run stop.lua > stop.log 2>&1 || rc=$?
[ $rc = 8 ] || { cat stop.log; fail "stop run exited $rc, expected 8 (a table failed)"; }
grep -q 'could not copy rows into table "gen.t1": new row for relation "t1" violates check constraint "n1_not_13"' stop.log &&
  grep -q 'SQLSTATE 23514' stop.log || { cat stop.log; fail "stop: not the server's message"; }
grep -q 'full load: table "gen.t3" loaded' stop.log || fail "stop: gen.t3 did not load"
[ "$(sql "SELECT to_regclass('sluice.sluice_errors') IS NULL")" = t ] || fail "stop created an errors table"
grep -v $'^gen.t[12]\t' good.out > t3.out
dump_target | grep -v $'^gen.t[12]\t' > target3.out
cmp -s t3.out target3.out || fail "stop: gen.t3 differs"
pass "stop: exit 8, the failing tables name the server's message; gen.t3 loads; no errors table"
finish
