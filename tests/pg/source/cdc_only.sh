#!/usr/bin/env bash
# cdc-only: no full load; the first run creates the publication and the slot in
# stream_start and captures what is committed from then on; a second run resumes
# from the target's checkpoint, and a user-given start behind the slot is refused.
. "$(dirname "$0")/common.sh"

q -c "CREATE TABLE t (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 5) g"
write_pipeline co.lua cdc-only 'heartbeat_interval_ms = 100' 'FlushIntervalMs = 100'

"$SLUICE" run co.lua > run1.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
# The slot is active while it is still being created (waiting for running
# transactions); changes count from its consistent point, logged once it is made.
for _ in $(seq 300); do
  grep -q "created replication slot" run1.log && break
  kill -0 "$pid" 2>/dev/null || { cat run1.log; fail "sluice exited"; }
  sleep 0.1
done
grep -q "created replication slot" run1.log || fail "cdc-only did not create the slot"
[ "$(q -c "SELECT count(*) FROM pg_publication WHERE pubname = '$PUB'")" = 1 ] ||
  fail "cdc-only did not create the publication"
pass "cdc-only created the publication and the slot and streams"

q -c "INSERT INTO t SELECT g, 'after' FROM generate_series(6, 15) g" \
  -c "UPDATE t SET v = 'changed' WHERE id = 7" -c "DELETE FROM t WHERE id = 8"
sleep 1
kill -TERM "$pid"
wait "$pid" || { cat run1.log; fail "the first run did not stop cleanly"; }

q -c "INSERT INTO t VALUES (16, 'while stopped')"
until_lsn=$(insert_lsn)
timeout 60 "$SLUICE" run co.lua --until "$until_lsn" > run2.log 2>&1 ||
  { cat run2.log; fail "the resumed run exited $?"; }

# Rows 1-5 were never loaded, so the target holds what changed after the start.
grep -aq $'^S\t' co.journal && fail "cdc-only loaded rows"
check_state co.journal public.t "t WHERE id > 5"
pass "cdc-only captured exactly the changes after its start, across a restart"

# A start position the slot has already passed would skip changes: refused.
rm -rf .sluice/co co.journal
write_pipeline early.lua cdc-only '' 'CdcStartPosition = "0/1"'
rc=0; "$SLUICE" run early.lua > early.log 2>&1 || rc=$?
[ "$rc" = 5 ] || { cat early.log; fail "a start behind the slot was not refused (exit $rc)"; }
grep -q "error: .*replication slot \"$SLOT\" has moved past 0/1$" early.log ||
  { cat early.log; fail "wrong error for a start behind the slot"; }
pass "a start position behind the slot's confirmed position is refused"
finish
