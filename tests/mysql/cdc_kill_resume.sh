#!/usr/bin/env bash
# Change capture under fire: a writer commits transactions (inserts, updates
# of a counter, deletes, a key change, two tables per transaction) all the
# time while sluice is killed with SIGKILL at 12 moments spread over the full
# load and CDC and restarted each time, from the target's checkpoint. After a
# last run catches up to a marker, both tables are identical at the source and
# the target: row counts and a checksum over every row in key order, so a lost
# change, a change applied twice on a key, or a row too many all show.
. "$(dirname "$0")/common.sh"

my "$DB" <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, owner varchar(40), balance decimal(14,2), n int NOT NULL);
CREATE TABLE hist (id bigint PRIMARY KEY, acct int, delta decimal(14,2), note text);
CREATE TABLE marker (id int PRIMARY KEY);
INSERT INTO acct SELECT seq, CONCAT('owner ', seq), seq * 1.25, 0 FROM seq_1_to_200000;
INSERT INTO hist SELECT seq, seq % 20000 + 1, 0.01 * seq, REPEAT('h', seq % 50) FROM seq_1_to_200000;
SQL

# the writer: one client, a transaction every few milliseconds
writer() {
  local i=0 a
  while :; do
    i=$((i + 1)); a=$(( (i * 7919) % 20000 + 1 ))
    echo "START TRANSACTION;
      UPDATE acct SET balance = balance + 1.5, n = n + 1 WHERE id = $a;
      INSERT INTO hist VALUES ($((1000000 + i)), $a, 1.5, 'tx $i');
      INSERT INTO acct VALUES ($((1000000 + i)), 'new $i', 0, 0);
      COMMIT;"
    if [ $((i % 5)) = 0 ]; then
      echo "DELETE FROM hist WHERE id = $((1000000 + i - 3)); DELETE FROM acct WHERE id = $((1000000 + i - 2));"
      echo "UPDATE acct SET id = $((5000000 + i)) WHERE id = $((1000000 + i - 1));"
    fi
    sleep 0.01
  done
}
# the client itself is $! (not the my() wrapper), so killing it ends the writer too (SIGPIPE)
writer | mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -u root "$DB" \
  > writer.log 2>&1 & WRITER=$!
BG_PIDS+=("$WRITER")

write_pipeline kr.lua full-load-and-cdc \
  'MaxFullLoadSubTasks = 2, FullLoadChunkRows = 20000, BatchRows = 500, FlushIntervalMs = 50'
load_kills=0 cdc_kills=0
for i in $(seq 1 12); do
  "$SLUICE" run kr.lua >> run.log 2>&1 & pid=$!
  if [ "$i" -le 2 ]; then
    sleep "0.$((i * 2))"        # early: inside the full load
  else
    wait_for 60 in_phase kr cdc || true
    sleep "0.$(( (i * 37) % 9 + 1 ))"
  fi
  kill -0 $pid 2>/dev/null || { wait $pid || true; fail "sluice ended on its own (run $i): $(tail -5 run.log)"; }
  was=$(phase kr)
  kill -9 $pid; wait $pid 2>/dev/null || true
  if [ "$was" = cdc ]; then cdc_kills=$((cdc_kills + 1)); else load_kills=$((load_kills + 1)); fi
done
kill -0 $WRITER 2>/dev/null || fail "the writer stopped: $(tail -3 writer.log)"
[ "$load_kills" -ge 1 ] && [ "$cdc_kills" -ge 8 ] || fail "kills: $load_kills in the full load, $cdc_kills in CDC"
pass "12 kill -9s ($load_kills in the full load, $cdc_kills in CDC) while the writer ran"

kill "$WRITER"; wait "$WRITER" 2>/dev/null || true
my "$DB" -e "INSERT INTO marker VALUES (1)"
"$SLUICE" run kr.lua >> run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
wait_for 120 tgt_is "SELECT count(*) FROM \"$DB\".marker" 1 || fail "the last run did not catch up"
kill -TERM $pid; wait $pid || fail "the last run exited $?"

same_rows acct "id, owner, balance, n"
same_rows hist "id, acct, delta, note"
[ "$(my "$DB" -e "SELECT SUM(n) FROM acct")" -gt 20 ] || fail "the writer made too few updates"
grep -q "reading the binary log of server" run.log || fail "no stream start in the log"
finish
