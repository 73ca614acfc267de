#!/usr/bin/env bash
# sluice validate while change capture runs under a write load (updates, inserts
# and deletes in a loop at the source): no false mismatch, because keys that
# differ are read again after change capture had time to bring them over. A
# real difference made at the target meanwhile is still found. --repair is
# refused while the pipeline's run holds its state directory.
. "$(dirname "$0")/common.sh"

src -c "CREATE TABLE acct (id int PRIMARY KEY, balance numeric(12,2), note text, at timestamptz);
        INSERT INTO acct SELECT g, g, 'n' || g, now() FROM generate_series(1, 20000) g;
        ANALYZE"
write_pipeline c.lua full-load-and-cdc 'FlushIntervalMs = 100'
"$SLUICE" run c.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

# the write load: a transaction every few milliseconds, until the file "stop" appears
( while [ ! -e stop ]; do
    src -c "UPDATE acct SET balance = balance + 1, at = clock_timestamp()
              WHERE id = (random() * 19999)::int + 1;
            INSERT INTO acct VALUES (20000 + (random() * 1000000)::int, 0, 'new', now())
              ON CONFLICT (id) DO UPDATE SET note = 'again';
            DELETE FROM acct WHERE id = (random() * 19999)::int + 1" 2>/dev/null || true
  done ) & load=$!
BG_PIDS+=("$load")
sleep 1

rc=0; "$SLUICE" validate --format json --chunk-rows 2000 --jobs 2 --recheck-wait 500 c.lua \
  > out.json 2> err.txt || rc=$?
[ $rc = 0 ] || fail "validate under a write load: exit $rc: $(cat out.json err.txt)"
python3 - out.json <<'PY' || fail "validate under load: $(cat out.json)"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["tables"][0]
assert doc["state"] == "match" and t["state"] == "match" and t["mismatches"] == [], t
assert t["chunks"] >= 10, t["chunks"]
PY
pass "no false mismatch while CDC applies a write load ($(python3 -c "import json; t = json.load(open('out.json'))['tables'][0]; print(t['chunks'], 'chunks,', t['chunks_hashed'], 'hashed in the databases,', t['first_pass_keys'], 'keys read again')"))"

tgt -c "UPDATE acct SET note = 'broken at the target' WHERE id = (SELECT min(id) FROM acct)"
key=$(tgt -c "SELECT id FROM acct WHERE note = 'broken at the target'")
rc=0; "$SLUICE" validate --format json --chunk-rows 2000 --recheck-wait 300 c.lua \
  > out.json 2> err.txt || rc=$?
[ $rc = 10 ] || fail "a difference under load: exit $rc: $(cat out.json err.txt)"
python3 - out.json "$key" <<'PY' || fail "a difference under load: $(cat out.json)"
import json, sys
t = json.load(open(sys.argv[1]))["tables"][0]
got = [(m["key"]["id"], m["kind"], m["columns"]) for m in t["mismatches"]]
assert got == [(sys.argv[2], "differs", ["note"])], got
PY
pass "a real difference at the target is still found under load, and only it (id $key)"

rc=0; "$SLUICE" validate --repair c.lua > out.txt 2> err.txt || rc=$?
[ $rc = 9 ] && grep -q 'in use' err.txt || fail "--repair while the run holds the state: exit $rc: $(cat err.txt)"
pass "--repair is refused while the pipeline's run holds its state directory (exit 9)"

touch stop; wait "$load" 2>/dev/null || true
kill -TERM "$pid"; wait "$pid" || fail "sluice run exited $?"
finish
