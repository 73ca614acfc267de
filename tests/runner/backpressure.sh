#!/usr/bin/env bash
# A slow sink holds the source back: rows read but not yet written never exceed
# what the lane's batches can hold ((QueueDepth + 2) x BatchRows), so memory
# stays bounded whatever the table size.
. "$(dirname "$0")/common.sh"

write_pipeline bp.lua full-load 'tables = 1, rows = 2000000, wide = true, columns = 32' \
  'path = "bp.journal", delay_ms = 25, fsync = false' \
  'BatchRows = 100, QueueDepth = 2, MaxFullLoadSubTasks = 1'
"$SLUICE" run bp.lua > run.log 2>&1 &
pid=$!
bound=$(( (2 + 2) * 100 ))
samples=0
for _ in $(seq 1 30); do
  sleep 0.1
  [ -f .sluice/bp/status.json ] || continue
  read -r rows_read rows_loaded peak < <(python3 - <<'PY'
import json
s = json.load(open(".sluice/bp/status.json"))
t = s["tables"][0]
print(t["rows_read"], t["rows_loaded"], s["memory"]["peak_rss_bytes"])
PY
  ) || continue
  in_flight=$(( rows_read - rows_loaded ))
  [ "$in_flight" -le "$bound" ] || { kill -9 $pid; fail "$in_flight rows in flight > bound $bound"; }
  samples=$((samples + 1))
done
kill -TERM $pid; wait $pid || true
[ "$samples" -ge 5 ] || fail "only $samples status samples"
[ "$rows_read" -lt 200000 ] || fail "source ran ahead: $rows_read rows read"
pass "$samples samples: rows in flight never above $bound (last: read $rows_read, written $rows_loaded)"
[ "$peak" -lt $((400 * 1024 * 1024)) ] || fail "peak RSS $peak bytes"
pass "peak RSS $((peak / 1048576)) MiB with a 2M-row wide table behind a slow sink"
finish
