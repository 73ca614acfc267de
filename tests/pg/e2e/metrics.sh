#!/usr/bin/env bash
# /metrics against PostgreSQL, scraped during change capture: source and target
# latency and the slot's retained WAL are there and sane, the slot's spilled
# bytes follow a transaction larger than logical_decoding_work_mem, and the
# per-table counters equal what was written at the source.
. "$(dirname "$0")/common.sh"
SCRAPE="$(dirname "$0")/../../runner/metrics_scrape.py"

src -c "CREATE TABLE t (id int PRIMARY KEY, v text)
        ; INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 500) g"
# A small decoding budget makes the server spill the big transaction below.
write_pipeline met.lua full-load-and-cdc 'FlushIntervalMs = 200' \
  "conninfo = \"dbname=$SRC options='-c logical_decoding_work_mem=64kB'\","
"$SLUICE" run --no-progress --metrics-listen 127.0.0.1:0 met.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached change capture"
port=$(sed -n 's|.*serving metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' run.log)
url="http://127.0.0.1:$port/metrics"

src -c "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(501, 20500) g"
src -c "UPDATE t SET v = 'changed' WHERE id <= 10; DELETE FROM t WHERE id > 20000"
for _ in $(seq 300); do
  [ "$(tgt -c "SELECT count(*) FROM t" 2>/dev/null)" = 20000 ] &&
    [ "$(tgt -c "SELECT count(*) FROM t WHERE v = 'changed'")" = 10 ] && break
  sleep 0.1
done
same_tables || fail "target differs from the source"
# The retained-WAL figure is refreshed every 2 s: scrape until it is there.
for _ in $(seq 100); do
  python3 "$SCRAPE" "$url" m.json || fail "the exposition broke"
  python3 -c 'import json,sys; s=json.load(open("m.json"))["samples"]; sys.exit(0 if
    s.get("sluice_source_spilled_bytes_total{pipeline=\"met\"}", 0) > 0 and
    s.get("sluice_table_deletes_total{pipeline=\"met\",table=\"public.t\"}", 0) == 500 else 1)' && break
  sleep 0.1
done
total_wal=$(psql -X -At -d postgres -c "SELECT pg_current_wal_lsn() - '0/0'")
slot_now=$(psql -X -At -d postgres -c "SELECT pg_current_wal_lsn() - restart_lsn
  FROM pg_replication_slots WHERE slot_name = '$SLOT'")
python3 - "$total_wal" "$slot_now" <<'PY' || fail "metrics not sane during CDC"
import json, sys
total_wal, slot_now = float(sys.argv[1]), float(sys.argv[2])
s = json.load(open("m.json"))["samples"]
def get(name, table=None):
    key = '%s{pipeline="met"%s}' % (name, ',table="%s"' % table if table else "")
    if key not in s:
        sys.exit("missing " + key)
    return s[key]
src, tgt = get("sluice_source_latency_seconds"), get("sluice_target_latency_seconds")
print("source latency %.3f s, target latency %.3f s" % (src, tgt))
if not (0 <= src <= 30 and 0 <= tgt <= 30 and src <= tgt + 1):
    sys.exit("latencies not sane")
retained = get("sluice_source_retained_bytes")
print("retained %d bytes (the slot retains %d now, of %d bytes of WAL)" % (retained, slot_now, total_wal))
if not 0 < retained <= total_wal:
    sys.exit("retained WAL not sane")
spilled = get("sluice_source_spilled_bytes_total")
print("spilled %d bytes" % spilled)
if spilled <= 0:
    sys.exit("the 20,000-row transaction over a 64 kB decoding budget spilled nothing")
want = {"inserts": 20000, "updates": 10, "deletes": 500, "rows_loaded": 500}
for name, n in want.items():
    if get("sluice_table_%s_total" % name, "public.t") != n:
        sys.exit("%s: %s, expected %s" % (name, get("sluice_table_%s_total" % name, "public.t"), n))
PY
pass "source and target latency, retained WAL and spilled bytes present and sane; counters exact"

"$SLUICE" status met > status.txt
grep -q "^retained: " status.txt && grep -q "^spilled: " status.txt &&
  grep -q "s source commit to target commit" status.txt || { cat status.txt; fail "sluice status lacks figures"; }
pass "sluice status shows latencies, retained WAL and spilled bytes"
kill -TERM $pid; wait $pid || fail "sluice exited $?"
finish
