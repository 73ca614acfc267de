#!/usr/bin/env bash
# DDL in the change stream: ALTER TABLE add / drop / modify column, TRUNCATE
# and RENAME TABLE while sluice streams; the target table follows each change
# without a restart, and the rows written around each DDL arrive in the shape
# they were written in.
. "$(dirname "$0")/common.sh"

my "$DB" -e "CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(10));
             CREATE TABLE mk (id int PRIMARY KEY);
             INSERT INTO t VALUES (1, 10, 'one'), (2, 20, 'two')"
write_pipeline ddl.lua full-load-and-cdc "FlushIntervalMs = 50" "" \
  "mappings = { { rule = 'include', schema = '$DB', table = '%' },
                { rule = 'exclude', schema = '$DB', table = 'skip%' } },"
"$SLUICE" run ddl.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
wait_for 60 in_phase ddl cdc || fail "the pipeline did not reach CDC"
marker() {
  my "$DB" -e "INSERT INTO mk VALUES ($1)"
  wait_for 60 tgt_is "SELECT count(*) FROM \"$DB\".mk WHERE id = $1" 1 ||
    { kill -0 $pid 2>/dev/null || fail "sluice ended: $(tail -5 run.log)"; fail "marker $1 did not arrive"; }
}
cols() { tgt -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                 FROM pg_attribute WHERE attrelid = '\"$DB\".t'::regclass AND attnum > 0 AND NOT attisdropped"; }
rows() { tgt -c "SELECT * FROM \"$DB\".t ORDER BY id" | paste -sd' '; }

my "$DB" -e "INSERT INTO t VALUES (3, 30, 'before'); ALTER TABLE t ADD COLUMN c varchar(20);
             INSERT INTO t VALUES (4, 40, 'after', 'new col'); UPDATE t SET c = 'set' WHERE id = 1"
marker 1
[ "$(cols)" = "id integer, a integer, b character varying(10), c character varying(20)" ] || fail "add column: $(cols)"
[ "$(rows)" = "1|10|one|set 2|20|two| 3|30|before| 4|40|after|new col" ] || fail "add column rows: $(rows)"
pass "ADD COLUMN: the target has the column, rows before and after it"

my "$DB" -e "ALTER TABLE t DROP COLUMN a; INSERT INTO t VALUES (5, 'no a', 'x'); UPDATE t SET b = 'upd' WHERE id = 2"
marker 2
[ "$(cols)" = "id integer, b character varying(10), c character varying(20)" ] || fail "drop column: $(cols)"
[ "$(rows)" = "1|one|set 2|upd| 3|before| 4|after|new col 5|no a|x" ] || fail "drop column rows: $(rows)"
pass "DROP COLUMN"

my "$DB" -e "ALTER TABLE t MODIFY b varchar(50); INSERT INTO t VALUES (6, 'a value longer than ten characters', 'y')"
marker 3
[ "$(cols)" = "id integer, b character varying(50), c character varying(20)" ] || fail "modify column: $(cols)"
tgt_is "SELECT b FROM \"$DB\".t WHERE id = 6" "a value longer than ten characters" || fail "modify column row"
pass "MODIFY COLUMN varchar(10) to varchar(50)"

my "$DB" -e "TRUNCATE TABLE t; INSERT INTO t VALUES (7, 'after truncate', NULL)"
marker 4
[ "$(rows)" = "7|after truncate|" ] || fail "truncate: $(rows)"
pass "TRUNCATE"


my "$DB" -e "CREATE TABLE t2 (id int PRIMARY KEY, v varchar(20), d decimal(10,2));
             CREATE TABLE skipped (id int PRIMARY KEY);
             INSERT INTO t2 VALUES (1, 'one', 1.50), (2, 'two', NULL); UPDATE t2 SET v = 'uno' WHERE id = 1;
             INSERT INTO skipped VALUES (1);
             ALTER TABLE t2 ADD COLUMN w int; INSERT INTO t2 VALUES (3, 'three', 3.00, 33)"
marker 5
t2() { tgt -c "SELECT * FROM \"$DB\".t2 ORDER BY id" | paste -sd' '; }
[ "$(t2)" = "1|uno|1.50| 2|two|| 3|three|3.00|33" ] || fail "created table: $(t2)"
tgt_is "SELECT count(*) FROM pg_tables WHERE schemaname = '$DB' AND tablename = 'skipped'" 0 ||
  fail "a table the mapping excludes was created at the target"
grep -q 'table "'"$DB"'.t2" was created while streaming' run.log || fail "no log line for the new table"
pass "CREATE TABLE while streaming: created at the target, rows, an update and a new column; an excluded one left out"

# the binlog connection lost: the reconnect finds t2 in the fresh catalog
my -e "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'" |
  while read -r id; do my -e "KILL $id" || true; done
my "$DB" -e "INSERT INTO t2 VALUES (4, 'after kill', NULL, NULL)"
marker 6
tgt_is "SELECT v FROM \"$DB\".t2 WHERE id = 4" "after kill" || fail "t2 after a reconnect: $(t2)"
grep -q "lost the binary log stream" run.log || fail "the binlog connection was not lost"
pass "binlog connection killed: sluice reconnects, the new table still captured"

kill -TERM $pid; wait $pid || fail "sluice exited $? on SIGTERM"
my "$DB" -e "INSERT INTO t2 VALUES (5, 'after restart', NULL, NULL)"
"$SLUICE" run ddl.lua >> run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
marker 7
tgt_is "SELECT v FROM \"$DB\".t2 WHERE id = 5" "after restart" || fail "t2 after a restart: $(t2)"
pass "sluice restarted: the new table is discovered and captured"

my "$DB" -e "RENAME TABLE t TO t_renamed; INSERT INTO t_renamed VALUES (8, 'renamed', NULL)"
marker 8
[ "$(rows)" = "7|after truncate| 8|renamed|" ] || fail "rename: $(rows)"
pass "RENAME TABLE: changes under the new name reach the table"

kill -TERM $pid; wait $pid || fail "sluice exited $? on SIGTERM"
finish
