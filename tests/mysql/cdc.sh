#!/usr/bin/env bash
# Change capture from MariaDB into PostgreSQL (source-mysql into sink-pg,
# full-load-and-cdc): after the full load of the type table, inserts, updates
# (every column, NULLs, a key change) and deletes of every type, a
# multi-statement transaction, a rolled-back one, writes to a MyISAM table
# (QUERY COMMIT boundaries), and a FLUSH BINARY LOGS (rotation) mid-stream.
# The target is compared value by value with MariaDB's own text of each value,
# as the full-load type test does, so CDC and full load give the same values.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/types_common.sh"

create_types_table
write_columns
my "$DB" -e "CREATE TABLE mk (id int PRIMARY KEY, note varchar(20));
             CREATE TABLE mi (id int PRIMARY KEY, v varchar(20)) ENGINE = MyISAM"

write_pipeline cdc.lua full-load-and-cdc "FlushIntervalMs = 50" "" "$TYPE_RULES"
"$SLUICE" run cdc.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
wait_for 60 tgt_is "SELECT count(*) FROM \"$DB\".ty" 4 || fail "the full load did not arrive"
wait_for 30 in_phase cdc cdc || fail "the pipeline did not reach CDC: $(phase cdc)"
pass "full load done, streaming"

# marker N: writes row N of mk and waits for it at the target
marker() {
  my "$DB" -e "INSERT INTO mk VALUES ($1, 'm$1')"
  wait_for 60 tgt_is "SELECT count(*) FROM \"$DB\".mk WHERE id = $1" 1 ||
    { kill -0 $pid 2>/dev/null || fail "sluice ended: $(tail -5 run.log)"; fail "marker $1 did not arrive"; }
}

# inserts of every type: rows 1-4 again under ids 11-14
my "$DB" -e "SET sql_mode = ''; INSERT INTO ty SELECT id + 10, b, ti, tiu, si, siu, mi, miu, i, iu, bi, biu,
  d65, d182, f, dbl, bit1, bit64, yr, dt, tm, tm3, dtm, ts, c, vc, tx, l1, l1t, bn, vb, bl, en, st, js,
  u, ip, g FROM ty"
marker 1
compare_types 8
pass "inserts of every type (8 rows) equal MariaDB's values"

# updates of every column: row 2 takes row 4's values, row 14 becomes NULLs, row 3 row 1's
cols=$(cut -d'|' -f1 columns.txt | paste -sd' ' -)
set_from() { local s="" c; for c in $cols; do s="$s${s:+, }a.$c = b.$c"; done; echo "$s"; }
my "$DB" -e "SET sql_mode = ''; SET time_zone = '+00:00';
  UPDATE ty a JOIN ty b ON a.id = 2 AND b.id = 4 SET $(set_from);
  UPDATE ty a JOIN ty b ON a.id = 14 AND b.id = 3 SET $(set_from);
  UPDATE ty a JOIN ty b ON a.id = 3 AND b.id = 11 SET $(set_from)"
marker 2
compare_types 8
pass "updates of every column (values, NULLs to values, values to NULLs) equal MariaDB's values"

# a key change, deletes, a multi-statement transaction, a rolled-back one
my "$DB" -e "UPDATE ty SET id = 20 WHERE id = 1; DELETE FROM ty WHERE id = 13;
  START TRANSACTION;
    INSERT INTO ty (id, vc, d65) VALUES (30, 'in a transaction', 1.5);
    UPDATE ty SET vc = 'changed twice', js = '[1]' WHERE id = 30;
    UPDATE ty SET id = 31 WHERE id = 30;
    DELETE FROM ty WHERE id = 12;
  COMMIT;
  START TRANSACTION;
    INSERT INTO ty (id, vc) VALUES (40, 'rolled back');
    DELETE FROM ty WHERE id = 2;
  ROLLBACK"
marker 3
compare_types 7
[ "$(tgt -c "SELECT vc FROM \"$DB\".ty WHERE id = 31")" = "changed twice" ] || fail "the transaction's row"
tgt_is "SELECT count(*) FROM \"$DB\".ty WHERE id IN (1, 12, 13, 30, 40)" 0 || fail "deleted or rolled-back rows at the target"
pass "key change, deletes, a multi-statement transaction and a rolled-back one"

# a non-transactional table: transactions end with a QUERY COMMIT
my "$DB" -e "INSERT INTO mi VALUES (1, 'a'), (2, 'b'); UPDATE mi SET v = 'c' WHERE id = 2; DELETE FROM mi WHERE id = 1"
marker 4
[ "$(tgt -c "SELECT id, v FROM \"$DB\".mi" | paste -sd' ')" = "2|c" ] || fail "MyISAM table: $(tgt -c "SELECT * FROM \"$DB\".mi")"
pass "a MyISAM table's changes (QUERY COMMIT boundaries)"

# rotation: a new binlog file mid-stream, changes before and after it
before=$(my -e "SHOW MASTER STATUS" | cut -f1)
my "$DB" -e "INSERT INTO ty (id, vc) VALUES (50, 'before rotation'); FLUSH BINARY LOGS;
             INSERT INTO ty (id, vc) VALUES (51, 'after rotation'); UPDATE ty SET vc = 'updated after' WHERE id = 50"
after=$(my -e "SHOW MASTER STATUS" | cut -f1)
[ "$before" != "$after" ] || fail "FLUSH BINARY LOGS did not rotate"
marker 5
compare_types 9
pass "rotation from $before to $after followed"

# the position the status shows is the binlog file and offset of the new file
wait_for 10 grep -q "\"$after:[0-9]*" ".sluice/cdc/status.json" ||
  fail "status does not show a position in $after: $(grep -o '"[a-z_]*position[a-z_]*": "[^"]*"' .sluice/cdc/status.json)"
pass "status shows the position in $after"

kill -TERM $pid; wait $pid || fail "sluice exited $? on SIGTERM"
grep -q "reading the binary log of server" run.log || fail "no stream start in the log"
finish
