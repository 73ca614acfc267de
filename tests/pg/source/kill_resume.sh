#!/usr/bin/env bash
# Test 4: kill -9 during the full load and several times during CDC while a
# writer keeps committing; every restart resumes, the journal replays
# consistently, and the slot never confirms more than the journal has committed.
. "$(dirname "$0")/common.sh"

q <<'SQL'
CREATE TABLE bulk (id int PRIMARY KEY, v text);
INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL);
INSERT INTO acct SELECT g, 0 FROM generate_series(1, 100) g;
CREATE TABLE events (id serial PRIMARY KEY, v text);
ANALYZE;
SQL

write_pipeline kr.lua full-load-and-cdc 'heartbeat_interval_ms = 200, status_interval_ms = 300' \
  'MaxFullLoadSubTasks = 2, BatchRows = 200, FullLoadChunkRows = 30000, FlushIntervalMs = 100' \
  'delay_ms = 5'

writer() {
  local i=0
  while [ ! -f stop-writer ]; do
    i=$((i + 1))
    q -c "UPDATE acct SET bal = bal + 1 WHERE id = $(( i % 100 + 1 ));
          INSERT INTO events (v) VALUES ('e$i'); INSERT INTO events (v) VALUES ('f$i');
          DELETE FROM events WHERE id = $(( i * 2 - 7 )) AND id % 5 = 0;
          UPDATE bulk SET v = 'w$i' WHERE id = $(( (i * 7919) % 100000 + 1 ))" 2>/dev/null || true
  done
}
writer & BG_PIDS+=($!)

# The slot must never be ahead of the journal: read the slot first, then the journal.
check_flush() {
  local slot last
  slot=$(slot_flush_hex)
  last=$(journal_commit_hex kr.journal 2>/dev/null || true)
  [ -z "$slot" ] && return 0
  [ -n "$last" ] || last=0000000000000000
  # before the first commit the slot stands at its creation point, which the journal
  # cannot show; from the first C record on, the slot must not pass it
  if [ "$last" != 0000000000000000 ] && [[ "$slot" > "$last" ]]; then
    fail "slot confirmed $slot, beyond the journal's last commit $last"
  fi
}

# run_until_killed PATTERN SECONDS: start sluice, wait for PATTERN in its log, let it
# run SECONDS more while checking the slot, then kill -9 it.
run_until_killed() {
  local log="run$1.log"
  "$SLUICE" run kr.lua > "$log" 2>&1 & local pid=$!
  BG_PIDS+=("$pid")
  for _ in $(seq 600); do
    grep -q "$2" "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "sluice exited before: $2"; }
    sleep 0.1
  done
  grep -q "$2" "$log" || fail "sluice never got to: $2"
  local end=$(( $(date +%s%N) + $3 * 1000000 ))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    check_flush
    sleep 0.1
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  check_flush
  "$REPLAY" kr.journal > /dev/null 2> replay.err ||
    { cat replay.err; fail "after kill $1 the journal does not replay"; }
}

run_until_killed 1 "full load: table" 300
pass "killed during the full load"
grep -q "full load complete" run1.log && fail "the full load finished before the kill; make it longer"

for k in 2 3 4 5; do
  run_until_killed "$k" "streaming from" $(( 400 + (RANDOM % 1200) ))
  grep -q "full load complete" "run$k.log" || grep -q "full load already complete" "run$k.log" ||
    fail "run $k neither loaded nor resumed after the load"
done
grep -q "full load already complete" run5.log || fail "the later runs did not resume after the load"
pass "killed 4 times during change capture; the journal replays after each kill"

touch stop-writer
wait "${BG_PIDS[0]}"
until_lsn=$(insert_lsn)
timeout 180 "$SLUICE" run kr.lua --until "$until_lsn" > final.log 2>&1 ||
  { cat final.log; fail "the final run exited $?"; }
check_flush
for t in bulk acct events; do
  check_state kr.journal "public.$t" "$t"
done
pass "after every restart the target equals the source"
[ "$(grep -c 'snapshot taken' run2.log)" = 1 ] || fail "run 2 did not take a new snapshot"
pass "a restart after a kill during the full load takes a new snapshot on the existing slot"
finish
