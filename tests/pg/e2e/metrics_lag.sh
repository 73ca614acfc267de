#!/usr/bin/env bash
# The lag figures move when the target is slowed: during change capture a
# session at the target holds an exclusive lock on the table while the source
# keeps committing. Scraped meanwhile, /metrics shows
# sluice_target_lag_seconds growing with the wait while the source latency stays
# small (sluice still reads); once the lock goes, the target catches up, the lag
# is 0 again.
. "$(dirname "$0")/common.sh"
SCRAPE="$(dirname "$0")/../../runner/metrics_scrape.py"

src -c "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (0, 'first')"
write_pipeline lag.lua full-load-and-cdc 'FlushIntervalMs = 100'
"$SLUICE" run --no-progress --metrics-listen 127.0.0.1:0 lag.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached change capture"
port=$(sed -n 's|.*serving metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' run.log)
url="http://127.0.0.1:$port/metrics"

# metric NAME: the pipeline's sample of NAME now, or "none"
metric() {
  python3 "$SCRAPE" "$url" m.json || fail "the exposition broke"
  python3 -c 'import json,sys; print(json.load(open("m.json"))["samples"].get(sys.argv[1] + "{pipeline=\"lag\"}", "none"))' "$1"
}
arrived() { [ "$(tgt -c "SELECT count(*) FROM t WHERE id = $1")" = 1 ]; }
no_lag() { python3 -c 'import sys; sys.exit(0 if sys.argv[1] != "none" and float(sys.argv[1]) == 0 else 1)' "$(metric sluice_target_lag_seconds)"; }

src -c "INSERT INTO t VALUES (1, 'caught up')"
for _ in $(seq 300); do arrived 1 && break; sleep 0.1; done
arrived 1 || fail "row 1 did not arrive"
for _ in $(seq 50); do no_lag && break; sleep 0.1; done
no_lag || fail "lag $(metric sluice_target_lag_seconds) when caught up"
pass "caught up: sluice_target_lag_seconds is 0"

# the target slowed: a lock held until we end its session, rows committed at the
# source meanwhile
tgt -c "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT" > /dev/null 2>&1 & locker=$!
BG_PIDS+=("$locker")
for _ in $(seq 50); do
  [ "$(tgt -c "SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
  sleep 0.1
done
for i in 2 3 4 5 6; do src -c "INSERT INTO t VALUES ($i, 'while the target waits')"; sleep 0.2; done
sleep 0.5
lag1=$(metric sluice_target_lag_seconds) src1=$(metric sluice_source_latency_seconds)
sleep 1.5
lag2=$(metric sluice_target_lag_seconds) src2=$(metric sluice_source_latency_seconds)
echo "    while the target is locked: lag $lag1 s, then $lag2 s; source latency $src1 s, then $src2 s"
python3 - "$lag1" "$lag2" "$src2" <<'PY' || fail "the lag did not follow the slowed target"
import sys
lag1, lag2, src = map(float, sys.argv[1:])
if not (lag1 >= 1.0 and lag2 >= lag1 + 1.0):
    sys.exit("lag %.3f then %.3f: not growing with the wait" % (lag1, lag2))
if src > 1.0:
    sys.exit("source latency %.3f: capture should not wait for the target" % src)
PY
"$SLUICE" status lag > status.txt
grep -q "^lag: " status.txt || { cat status.txt; fail "sluice status shows no lag"; }
pass "target locked: lag grows with the wait (${lag1} s, then ${lag2} s), source latency stays small"

tgt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%'
        AND pid <> pg_backend_pid()" > /dev/null
wait "$locker" 2>/dev/null || true
for _ in $(seq 300); do arrived 6 && break; sleep 0.1; done
arrived 6 || fail "the rows written while locked did not arrive"
for _ in $(seq 50); do no_lag && break; sleep 0.1; done
no_lag || fail "lag $(metric sluice_target_lag_seconds) after catching up"
latency=$(metric sluice_target_latency_seconds)
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0 else 1)' "$latency" || fail "no target latency"
pass "lock released: the target caught up, lag back to 0 (last target latency $latency s)"
kill -TERM $pid; wait $pid || fail "sluice exited $?"
finish
