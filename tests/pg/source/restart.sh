#!/usr/bin/env bash
# The source server restarts mid-CDC: source-pg reports the lost connection as
# transient (RETRY), the core reconnects with backoff and resumes from the
# target's checkpoint; every change arrives once. Runs on a server of its own
# (on a free port) so restarting it disturbs no other test.
: "${PG_THROWAWAY:?set by ctest}" "${PGPORT:?set by ctest}"
INST3=$(mktemp -d "${TMPDIR:-/tmp}/sluice-restart-pg.XXXXXX")
export PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash "$PG_THROWAWAY" start "$INST3/pg" "$PGPORT" > /dev/null
. "$(dirname "$0")/common.sh"
EXTRA_CLEANUP+=("bash '$PG_THROWAWAY' stop '$INST3/pg'; rm -rf '$INST3'")

q <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;
SQL
write_pipeline rs.lua full-load-and-cdc 'status_interval_ms = 200' 'FlushIntervalMs = 100, RetryLimit = 8'
"$SLUICE" run rs.lua > run.log 2>&1 & SLUICE_PID=$!
BG_PIDS+=("$SLUICE_PID")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

q -c "INSERT INTO t SELECT g, 'before' || g FROM generate_series(1001, 1500) g"
q -c "UPDATE t SET v = v || '+' WHERE id % 7 = 0"
bash "$PG_THROWAWAY" start "$INST3/pg" "$PGPORT" > /dev/null   # running: a fast restart
q -c "INSERT INTO t SELECT g, 'after' || g FROM generate_series(1501, 2000) g"
q -c "DELETE FROM t WHERE id % 11 = 0"
q -c "INSERT INTO t VALUES (999999, 'marker')"

for _ in $(seq 300); do grep -q $'\t999999\t' rs.journal 2>/dev/null && break; sleep 0.1; done
kill -TERM "$SLUICE_PID"; wait "$SLUICE_PID" || { tail -20 run.log; fail "sluice exited non-zero"; }
grep -q "reconnecting in" run.log || { tail -20 run.log; fail "no reconnect after the source restart"; }
pass "source restart: source-pg reported it as transient and the core reconnected"

"$REPLAY" rs.journal | cut -f1-3 | sort > target.txt || fail "journal rejected (a change applied twice or lost)"
q -c "COPY (SELECT 'public.t', id, v FROM t) TO STDOUT" | sort > source.txt
diff -q source.txt target.txt > /dev/null || { diff source.txt target.txt | head; fail "target differs from the source"; }
pass "after the restart every change arrived once: $(wc -l < target.txt) rows equal"
finish
