#!/usr/bin/env bash
# One source transaction of a million rows during CDC: it arrives whole (the
# target never sees part of it), and sluice's peak memory stays bounded.
. "$(dirname "$0")/common.sh"

src -c "CREATE TABLE big (id bigint PRIMARY KEY, v text, n int)"
write_pipeline big.lua full-load-and-cdc 'BatchRows = 8192, FlushIntervalMs = 200'
"$SLUICE" run big.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
src -c "INSERT INTO big SELECT g, md5(g::text), g % 1000 FROM generate_series(1, 1000000) g"
src -c "INSERT INTO big VALUES (0, 'marker', 0)"
partial=0
for _ in $(seq 1800); do
  n=$(tgt -c "SELECT count(*) FROM big" 2>/dev/null || echo 0)
  [ "$n" = 1000001 ] && break
  [ "$n" != 0 ] && [ "$n" != 1000000 ] && partial=$n
  sleep 0.1
done
[ "$n" = 1000001 ] || fail "target has $n rows of big"
[ "$partial" = 0 ] || fail "the target showed $partial rows: part of a transaction was committed"
peak=$(python3 -c 'import json; print(json.load(open(".sluice/big/status.json"))["memory"]["peak_rss_bytes"])')
kill -TERM $pid; wait $pid || fail "sluice exited $?"
same_tables || fail "target differs from the source"
pass "a 1,000,000-row transaction arrived whole; peak RSS $((peak / 1048576)) MiB"
if [ -n "${SLUICE_SANITIZED:-}" ]; then
  pass "peak RSS not judged in the sanitizer build (ASan's shadow memory and quarantine)"
else
  [ "$peak" -lt $((256 * 1048576)) ] || fail "peak RSS $peak bytes is above 256 MiB"
  pass "peak RSS below 256 MiB"
fi
finish
