#!/usr/bin/env bash
# The source server restarted mid-CDC: on a MariaDB server of the test's own,
# while a writer commits all the time, the server is restarted cleanly (SIGTERM,
# a new binlog file after it), then killed with SIGKILL (crash recovery) and
# started again. sluice keeps running: it loses the binlog connection, waits,
# reconnects and resumes from the target's checkpoint. At the end both tables
# are identical at the source and the target (row counts and a checksum over
# every row in key order), so a change lost or applied twice would show.
. "$(dirname "$0")/common.sh"
: "${MY_THROWAWAY:?set by ctest}"

PORT2=$(free_port)
DIR2="$WORK/server"
EXTRA_CLEANUP+=("bash '$MY_THROWAWAY' stop '$DIR2'")
bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" > /dev/null
my -e "DROP DATABASE \`$DB\`"   # common.sh made it on the shared server
export MY_PORT_OVERRIDE=$PORT2 SRC_PORT=$PORT2
my -e "CREATE DATABASE \`$DB\`"
my "$DB" <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance decimal(14,2), n int NOT NULL);
CREATE TABLE hist (id bigint PRIMARY KEY, acct int, note text);
CREATE TABLE marker (id int PRIMARY KEY);
INSERT INTO acct SELECT seq, seq * 1.25, 0 FROM seq_1_to_5000;
SQL

# the writer: a client per transaction, retried until it commits. A commit
# whose answer was lost to the restart runs again and fails on its first
# statement's key (history row i exists): that transaction is done.
writer() {
  local i=0 a
  while [ ! -e stop-writer ]; do
    i=$((i + 1)); a=$(( (i * 7919) % 5000 + 1 ))
    until my "$DB" -e "START TRANSACTION;
        INSERT INTO hist VALUES ($i, $a, 'tx $i');
        UPDATE acct SET balance = balance + 1.5, n = n + 1 WHERE id = $a;
        COMMIT;" 2> writer.err || grep -q "Duplicate entry" writer.err; do
      [ -e stop-writer ] && return 0
      sleep 0.2
    done
    echo "$i" > writer.last
  done
}
writer & WRITER=$!
BG_PIDS+=("$WRITER")

write_pipeline rs.lua full-load-and-cdc 'FlushIntervalMs = 50, RetryLimit = 100' \
  'heartbeat_interval_ms = 200, connect_timeout = 2'
"$SLUICE" run rs.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
wait_for 60 in_phase rs cdc || fail "the pipeline did not reach CDC: $(tail -5 run.log)"
pass "full load done, streaming while the writer commits"

# writer_moves N: the writer commits N more transactions
writer_at() { cat writer.last 2>/dev/null || echo 0; }
writer_past() { [ "$(writer_at)" -ge "$1" ]; }
writer_moves() {
  local from; from=$(writer_at)
  wait_for 60 writer_past $((from + $1)) || fail "the writer is stuck at $from"
}
writer_moves 30
bash "$MY_THROWAWAY" stop "$DIR2"
sleep 1
kill -0 $pid 2>/dev/null || fail "sluice ended when the server stopped: $(tail -5 run.log)"
bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" > /dev/null
writer_moves 30
pass "server restarted (SIGTERM) mid-CDC; sluice still running"

kill -9 "$(cat "$DIR2/mariadbd.pid")"
sleep 1
kill -0 $pid 2>/dev/null || fail "sluice ended when the server crashed: $(tail -5 run.log)"
bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" > /dev/null
writer_moves 30
pass "server killed (SIGKILL) and started again mid-CDC; sluice still running"

touch stop-writer; wait "$WRITER" 2>/dev/null || true
my "$DB" -e "INSERT INTO marker VALUES (1)"
wait_for 120 tgt_is "SELECT count(*) FROM \"$DB\".marker" 1 ||
  fail "sluice did not catch up after the restarts: $(tail -5 run.log)"
kill -0 $pid 2>/dev/null || fail "sluice ended: $(tail -5 run.log)"
grep -q "reconnect" run.log || fail "the log does not say sluice reconnected"
kill -TERM $pid; wait $pid || fail "sluice exited $? at SIGTERM"

same_rows acct "id, balance, n"
same_rows hist "id, acct, note"
echo "    the log on the restarts:"; grep -i "reconnect\|lost\|retry" run.log | head -8 | sed 's/^/      /'
finish
