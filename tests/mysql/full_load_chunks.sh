#!/usr/bin/env bash
# A table split into key ranges loads every row exactly once, by several
# lanes, while a writer commits all the time; what lands at the target is
# exactly the source at the snapshot's recorded position. The writer's k-th
# transaction inserts row N+k and sets v = k on one existing row, and notes
# its GTID; the snapshot's GTID then says how many of them (K) the snapshot
# holds, and the target must equal the initial rows plus transactions 1..K:
# no more, no fewer, whichever lane read which range.
. "$(dirname "$0")/common.sh"
N=60000
my "$DB" -e "CREATE TABLE t (id bigint unsigned PRIMARY KEY, v int NOT NULL, pad varchar(40));
  INSERT INTO t SELECT seq, 0, md5(seq) FROM seq_1_to_$N; ANALYZE TABLE t" > /dev/null

# the writer: one session, 4000 transactions, each followed by its GTID; paced
# (a pause every 10) so that it outlasts the load on a fast machine too
for k in $(seq 4000); do
  echo "BEGIN; INSERT INTO t VALUES ($N + $k, $k, 'w'); UPDATE t SET v = $k WHERE id = ($k * 7919) % $N + 1; COMMIT; SELECT $k, @@last_gtid;"
  [ $((k % 10)) = 0 ] && echo "DO SLEEP(0.002);"
done > writer.sql
my "$DB" < writer.sql > writer.out 2> writer.err & BG_PIDS+=("$!")
for _ in $(seq 300); do [ "$(wc -l < writer.out)" -ge 100 ] && break; sleep 0.05; done
[ "$(wc -l < writer.out)" -ge 100 ] || fail "the writer does not write"

write_pipeline chunks.lua full-load "MaxFullLoadSubTasks = 3, FullLoadChunkRows = 8000"
"$SLUICE" run chunks.lua > run.log 2>&1 || fail "sluice run failed"
during=$(( $(my "$DB" -e "SELECT count(*) FROM t") - N ))  # writer transactions committed by now
grep -q "full load: 1 tables in [0-9]* chunks, 3 at a time" run.log || fail "not loaded in 3 lanes"
chunks=$(sed -n 's/.*full load: 1 tables in \([0-9]*\) chunks.*/\1/p' run.log)
[ "$chunks" -ge 5 ] || fail "only $chunks chunks"
grep -q "lane(s) had joined the snapshot" run.log || fail "no lock release in the log"
pass "split into $chunks key ranges, read by 3 lanes"

wait "${BG_PIDS[0]}" || fail "the writer failed: $(cat writer.err)"
BG_PIDS=()
[ "$(wc -l < writer.out)" = 4000 ] || fail "the writer did not finish"
[ "$during" -lt 4000 ] || fail "the writer had finished before the load ended: no writes during it"
gtid=$(sed -n 's/.*snapshot taken at binlog\.[0-9]*:[0-9]* gtid \([0-9-]*\).*/\1/p' run.log)
[ -n "$gtid" ] || fail "no GTID in the snapshot position"
seqno=${gtid##*-}
# K: the writer transactions whose GTID is at or before the snapshot's
K=$(awk -v s="$seqno" 'NF == 2 { split($2, g, "-"); if (g[3] + 0 <= s + 0 && $1 + 0 > k + 0) k = $1 } END { print k + 0 }' writer.out)
[ "$K" -gt 0 ] && [ "$K" -lt "$during" ] || fail "the snapshot is not inside the writes (K = $K)"
pass "the snapshot at GTID $gtid holds writer transactions 1..$K; $during had committed when the load ended"

got=$(tgt -c "SELECT count(*), count(DISTINCT id), sum(v), md5(string_agg(id || ':' || v || ':' || pad, ',' ORDER BY id))
              FROM \"$DB\".t")
want=$(tgt -c "WITH init AS (SELECT g::numeric AS id, 0 AS v, md5(g::text) AS pad FROM generate_series(1, $N) g),
                    hits AS (SELECT (k::bigint * 7919) % $N + 1 AS id, max(k) AS v FROM generate_series(1, $K) k GROUP BY 1),
                    rows AS (SELECT i.id, coalesce(h.v, 0) AS v, i.pad FROM init i LEFT JOIN hits h ON h.id = i.id
                             UNION ALL SELECT $N + k, k, 'w' FROM generate_series(1, $K) k)
               SELECT count(*), count(DISTINCT id), sum(v), md5(string_agg(id || ':' || v || ':' || pad, ',' ORDER BY id)) FROM rows")
[ "$got" = "$want" ] || fail "target ($got) is not the source at the snapshot ($want)"
pass "every row exactly once, equal to the source at the recorded position ($(echo "$got" | cut -d'|' -f1) rows, checksum equal)"

[ "$(my "$DB" -e "SELECT count(*) FROM t")" = "$((N + 4000))" ] || fail "source row count after the writer"
pass "the writer committed all its transactions (commits were blocked only while the lanes joined)"

# no global read lock: MariaDB blocks commits with BACKUP STAGE BLOCK_COMMIT, so a
# long-running query neither holds the snapshot up nor is disturbed by it (FLUSH
# TABLES WITH READ LOCK would wait for it, stalling every writer meanwhile)
grep -q "snapshot lock (BACKUP STAGE BLOCK_COMMIT) released" run.log || fail "not BACKUP STAGE: $(grep 'snapshot lock' run.log)"
my "$DB" -e "SELECT SLEEP(60) FROM t LIMIT 1" > /dev/null 2>&1 & slow=$!
BG_PIDS+=("$slow")
slow_runs() { [ "$(my -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'")" = 1 ]; }
wait_for 10 slow_runs || fail "the long query did not start"
dropdb --force "$TGT"; createdb "$TGT"
"$SLUICE" run --state-dir state2 chunks.lua > run2.log 2>&1 || fail "the load beside a long query failed: $(tail -5 run2.log)"
slow_runs || fail "the long query ended before the load did"
tgt_is "SELECT count(*) FROM \"$DB\".t" "$((N + 4000))" || fail "the second load's row count"
my -e "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'" |
  while read -r id; do my -e "KILL $id"; done
wait "$slow" 2>/dev/null || true
pass "a full load beside a 60 s query took its snapshot and finished while the query ran"
finish
