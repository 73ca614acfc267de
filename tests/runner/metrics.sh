#!/usr/bin/env bash
# The /metrics endpoint: scraped while a full load and change capture run, the
# exposition is strict Prometheus text, counters never go back, and the final
# per-table figures equal what the capture sink's journal holds. Wrong paths get
# 404; a port in use or a malformed address is a clear error at start (exit 3).
. "$(dirname "$0")/common.sh"
SCRAPE="$(dirname "$0")/metrics_scrape.py"

gen='tables = 3, rows = 2000, txns = 3000, ops_per_txn = 3, idle = true, chunk_rows = 500'
write_pipeline met.lua full-load-and-cdc "$gen" 'path = "met.journal", delay_ms = 25' \
  'BatchRows = 100, FullLoadChunkRows = 500, MaxFullLoadSubTasks = 2'

"$SLUICE" run --no-progress --metrics-listen 127.0.0.1:0 met.lua > run.log 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$WORK"' EXIT
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*serving metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' run.log)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat run.log; fail "no 'serving metrics at' line naming the port"; }
url="http://127.0.0.1:$port/metrics"
pass "port 0 binds a free port and the log names it ($port)"

# Scrape every 0.1 s until the last transaction is committed (the source then idles).
n=0
for _ in $(seq 1 600); do
  kill -0 "$pid" 2>/dev/null || { cat run.log; fail "sluice exited while being scraped"; }
  python3 "$SCRAPE" "$url" "s$n.json" || fail "scrape $n broke the exposition format"
  n=$((n + 1))
  grep -q '"committed_position": "txn/3000"' .sluice/met/status.json 2>/dev/null && break
  sleep 0.1
done
grep -q '"committed_position": "txn/3000"' .sluice/met/status.json || fail "run never reached txn/3000"
python3 "$SCRAPE" "$url" final.json || fail "final scrape broke the exposition format"
[ "$n" -ge 3 ] || fail "only $n scrapes while the pipeline ran"
pass "$n scrapes while it ran: HELP and TYPE before samples, every line name{labels} value"

python3 - "$n" <<'PY' || fail "counters went back between scrapes, or no scrape saw work in progress"
import json, sys
n = int(sys.argv[1])
docs = [json.load(open("s%d.json" % i)) for i in range(n)] + [json.load(open("final.json"))]
for a, b in zip(docs, docs[1:]):
    for key, v in a["samples"].items():
        name = key.split("{")[0]
        if a["types"][name] == "counter" and b["samples"].get(key, -1) < v:
            sys.exit("counter %s went from %s to %s" % (key, v, b["samples"].get(key)))
final = docs[-1]["samples"]
key = 'sluice_table_inserts_total{pipeline="met",table="gen.t1"}'
if not any(d["samples"].get(key, 0) < final[key] for d in docs[:-1]):
    sys.exit("no scrape saw the change capture before its end")
PY
pass "counters never decrease between scrapes, and the scrapes saw the run progress"

python3 - <<'PY' || fail "the final figures differ from the capture journal"
import collections, json, sys
s = json.load(open("final.json"))["samples"]
counts = collections.Counter()
for line in open("met.journal"):
    f = line.rstrip("\n").split("\t")
    if f[0] in "SIUD" and len(f) > 1:
        counts[(f[0], f[1])] += 1
def get(name, table=None):
    lab = 'pipeline="met"' + (',table="%s"' % table if table else "")
    key = "%s{%s}" % (name, lab)
    if key not in s:
        sys.exit("missing sample " + key)
    return s[key]
for t in ("gen.t1", "gen.t2", "gen.t3"):
    for rec, name in (("S", "rows_loaded"), ("I", "inserts"), ("U", "updates"), ("D", "deletes")):
        got, want = get("sluice_table_%s_total" % name, t), counts[(rec, t)]
        if got != want:
            sys.exit("%s %s: metrics say %s, journal has %s" % (t, name, got, want))
    if get("sluice_table_ddl_total", t) != 0 or get("sluice_table_errors_total", t) != 0:
        sys.exit(t + ": ddl or errors not 0")
    if get("sluice_table_loaded", t) != 1:
        sys.exit(t + ": not loaded")
if get("sluice_full_load_tables") != 3 or get("sluice_full_load_tables_loaded") != 3:
    sys.exit("full-load tables figures wrong")
if get("sluice_full_load_rows_loaded_total") != 6000 or get("sluice_full_load_rows_estimated") != 6000:
    sys.exit("full-load rows figures wrong")
src, tgt = get("sluice_source_latency_seconds"), get("sluice_target_latency_seconds")
if not (0 <= src <= 30 and 0 <= tgt <= 30 and src <= tgt + 0.5):
    sys.exit("latencies not sane: source %s, target %s" % (src, tgt))
if not 0 <= get("sluice_queue_depth_batches") <= 2 * (4 + 2):
    sys.exit("queue depth out of range")
if any(k.startswith("sluice_source_retained_bytes{") for k in s):
    sys.exit("the generator cannot tell retained log, yet a figure is shown")
print("journal:", dict(counts))
PY
pass "per-table rows loaded, inserts, updates, deletes equal the journal; latencies and progress sane"

code=$(curl -s -o other.txt -w '%{http_code}' "http://127.0.0.1:$port/other")
[ "$code" = 404 ] || fail "GET /other answered $code, expected 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")
[ "$code" = 405 ] || fail "POST /metrics answered $code, expected 405"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$url")
[ "$code" = 431 ] || fail "a 9 kB request answered $code, expected 431"
pass "other paths 404, other methods 405, oversized requests 431"

"$SLUICE" status met > status.txt || fail "sluice status failed"
for want in "full load: 3 of 3 tables, 6000 rows" "s source commit to capture" \
            "s source commit to target commit" "queue:"; do
  grep -q "$want" status.txt || { cat status.txt; fail "sluice status lacks \"$want\""; }
done
pass "sluice status shows full-load progress, both latencies and the queue"

# A second pipeline on the same port: a clear error at start, exit 3.
write_pipeline other.lua full-load 'tables = 1, rows = 10' 'path = "other.journal"'
rc=0; "$SLUICE" run --metrics-listen "127.0.0.1:$port" other.lua > inuse.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat inuse.log; fail "port in use: exit $rc, expected 3"; }
grep -q "error: could not listen for metrics on \"127.0.0.1:$port\": Address already in use" inuse.log &&
  grep -q "^hint: Choose another port" inuse.log || { cat inuse.log; fail "port in use: unclear error"; }
[ ! -e other.journal ] || fail "the run went on after the metrics port failed"
pass "a port in use: error, detail and hint, exit 3, nothing moved"

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat run.log; fail "SIGTERM exit $rc"; }
curl -s -o /dev/null "$url" && fail "the endpoint still answers after the run ended"
pass "the endpoint stops with the run"

rc=0; "$SLUICE" run --metrics-listen localhost other.lua > bad.log 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q 'error: invalid metrics address: "localhost"' bad.log ||
  { cat bad.log; fail "malformed address: exit $rc"; }
# The setting, and the flag winning over it.
write_pipeline set.lua full-load 'tables = 1, rows = 10' 'path = "set.journal"' \
  'MetricsListen = "127.0.0.1:99999"'
rc=0; "$SLUICE" run set.lua > set1.log 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q 'invalid metrics address: "127.0.0.1:99999"' set1.log ||
  { cat set1.log; fail "setting MetricsListen was not used (exit $rc)"; }
"$SLUICE" run --metrics-listen 127.0.0.1:0 set.lua > set2.log 2>&1 || { cat set2.log; fail "flag did not win"; }
grep -q "serving metrics at http://127.0.0.1:" set2.log || fail "flag's endpoint not started"
pass "malformed addresses refused; setting MetricsListen used, --metrics-listen wins"
finish
