#!/usr/bin/env bash
# Test 2: full-load-and-cdc with writes running during the full load, then a
# scripted workload (insert/update/delete, key updates, composite keys, a keyless
# REPLICA IDENTITY FULL table, TRUNCATE, unchanged TOAST, ADD/DROP COLUMN, a
# transaction larger than a batch, a rollback), a graceful stop and a resume that
# ends at --until. Every change must arrive once, in commit order.
. "$(dirname "$0")/common.sh"

q <<'SQL'
CREATE TABLE big (id bigint PRIMARY KEY, v text, n int NOT NULL DEFAULT 0);
INSERT INTO big SELECT g, md5(g::text), 0 FROM generate_series(1, 200000) g;
CREATE TABLE busy (id serial PRIMARY KEY, v text, ts timestamptz DEFAULT now());
CREATE TABLE kv (id int PRIMARY KEY, v text);
INSERT INTO kv SELECT g, 'v' || g FROM generate_series(1, 50) g;
CREATE TABLE comp (a int, b int, v text, PRIMARY KEY (a, b));
INSERT INTO comp SELECT g, g * 10, 'c' || g FROM generate_series(1, 10) g;
CREATE TABLE nokey (x int, y text);
ALTER TABLE nokey REPLICA IDENTITY FULL;
INSERT INTO nokey SELECT g, 'n' || g FROM generate_series(1, 10) g;
CREATE TABLE trunc (id int PRIMARY KEY, v text);
CREATE TABLE trunc2 (id int PRIMARY KEY, v text);
INSERT INTO trunc SELECT g, 't' || g FROM generate_series(1, 20) g;
INSERT INTO trunc2 SELECT g, 't' || g FROM generate_series(1, 20) g;
CREATE TABLE toast (id int PRIMARY KEY, big text, small int);
ALTER TABLE toast ALTER COLUMN big SET STORAGE EXTERNAL; -- out of line, uncompressed
INSERT INTO toast SELECT 1, string_agg(md5(g::text), ''), 0 FROM generate_series(1, 3000) g;
CREATE TABLE ddl (id int PRIMARY KEY, a text, b text);
INSERT INTO ddl SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 5) g;
CREATE TABLE parts (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE parts_lo PARTITION OF parts FOR VALUES FROM (0) TO (1000);
CREATE TABLE parts_hi PARTITION OF parts FOR VALUES FROM (1000) TO (2000);
INSERT INTO parts SELECT g, 'p' || g FROM generate_series(1, 20) g;
ANALYZE;
SQL

write_pipeline cdc.lua full-load-and-cdc 'heartbeat_interval_ms = 200, status_interval_ms = 500' \
  'MaxFullLoadSubTasks = 2, BatchRows = 500, FullLoadChunkRows = 50000, FlushIntervalMs = 200' \
  'delay_ms = 15'

# Writes that run while the full load reads: some before, most after the snapshot.
writer() {
  local i=0
  while [ ! -f stop-writer ]; do
    i=$((i + 1))
    q -c "INSERT INTO busy (v) VALUES ('w$i'); UPDATE big SET n = n + 1 WHERE id = $(( (i * 7919) % 200000 + 1 ));
          DELETE FROM busy WHERE id = $((i - 5)) AND id % 3 = 0; UPDATE busy SET v = v || '+' WHERE id = $((i - 2))"
    echo "$i" >> writer.count
  done
}
writer & BG_PIDS+=($!)
sleep 0.3

"$SLUICE" run cdc.lua > run1.log 2>&1 & SLUICE_PID=$!
BG_PIDS+=("$SLUICE_PID")
at_snapshot=""
for _ in $(seq 1200); do
  [ -z "$at_snapshot" ] && grep -q "snapshot taken" run1.log && at_snapshot=$(wc -l < writer.count)
  grep -q "full load complete" run1.log && break
  kill -0 "$SLUICE_PID" 2>/dev/null || { cat run1.log; fail "sluice exited during the full load"; }
  sleep 0.1
done
grep -q "full load complete" run1.log || fail "the full load did not finish in 120 s"
at_loaded=$(wc -l < writer.count)
sleep 1
touch stop-writer
wait "${BG_PIDS[0]}"
[ "$at_loaded" -gt "$((at_snapshot + 5))" ] ||
  fail "the writer did not run during the full load ($at_snapshot .. $at_loaded)"
pass "full load done with $((at_loaded - at_snapshot)) writer transactions during it"

q <<'SQL'
INSERT INTO kv VALUES (100, 'new'), (101, E'tab\there\nnewline \\ back');
UPDATE kv SET v = 'updated' WHERE id = 1;
DELETE FROM kv WHERE id = 2;
UPDATE kv SET id = 1005 WHERE id = 5;                   -- key update
UPDATE comp SET b = b + 1 WHERE a = 3;                  -- composite key update
UPDATE comp SET v = 'cv' WHERE a = 4 AND b = 40;
DELETE FROM comp WHERE a = 5;
UPDATE nokey SET y = 'changed' WHERE x = 2;             -- old row comes whole
DELETE FROM nokey WHERE x = 3;
INSERT INTO nokey VALUES (11, NULL);
TRUNCATE trunc, trunc2;
INSERT INTO trunc VALUES (1, 'after truncate');
INSERT INTO parts VALUES (1001, 'hi'), (21, 'lo');      -- changes of partitions ...
UPDATE parts SET v = 'moved' , id = 1500 WHERE id = 5;  -- ... arrive as the root's,
UPDATE parts SET v = 'same partition' WHERE id = 6;     -- even across partitions
DELETE FROM parts WHERE id = 7;
UPDATE toast SET small = small + 1 WHERE id = 1;        -- big stays unchanged TOAST
INSERT INTO toast SELECT 2, string_agg(md5((g + 7)::text), ''), 5 FROM generate_series(1, 3000) g;
UPDATE toast SET small = 6 WHERE id = 2;
BEGIN;
INSERT INTO ddl VALUES (6, 'a6', 'b6');
ALTER TABLE ddl ADD COLUMN c text;
INSERT INTO ddl VALUES (7, 'a7', 'b7', 'c7');
COMMIT;
SQL
sleep 1
kill -TERM "$SLUICE_PID"
wait "$SLUICE_PID" || { cat run1.log; fail "the first run did not stop cleanly on SIGTERM"; }
grep -q "stopped by signal" run1.log || fail "the first run did not report its graceful stop"
pass "first run streamed, then stopped on SIGTERM"

# The rest happens while sluice is down: the slot keeps it.
q <<'SQL'
UPDATE ddl SET c = 'c' || id WHERE id < 7;
ALTER TABLE ddl DROP COLUMN b;
INSERT INTO ddl VALUES (8, 'a8', 'c8');
UPDATE ddl SET a = a || '!';                            -- every row in the final shape
BEGIN;
INSERT INTO kv SELECT g, 'bulk ' || g FROM generate_series(10000, 15000) g;  -- > one batch
UPDATE big SET v = 'in bulk' WHERE id <= 2000;
COMMIT;
BEGIN;
INSERT INTO kv VALUES (999, 'rolled back');
ROLLBACK;
BEGIN;
INSERT INTO kv VALUES (200, 'two tables');
UPDATE busy SET v = 'two tables' WHERE id = (SELECT min(id) FROM busy);
COMMIT;
SQL
until_lsn=$(insert_lsn)

timeout 120 "$SLUICE" run cdc.lua --until "$until_lsn" > run2.log 2>&1 ||
  { cat run2.log; fail "the resumed run to --until $until_lsn exited $?"; }
grep -q "streaming from" run2.log || fail "the second run did not resume streaming"
pass "resumed run stopped at --until $until_lsn"

for t in big busy kv comp nokey trunc trunc2 toast ddl parts; do
  check_state cdc.journal "public.$t" "$t"
done
pass "every table at the target equals the source (no change lost, none applied twice)"

last=$(journal_commit_hex cdc.journal)
until_hex=$(q -c "SELECT lpad(to_hex(div('$until_lsn'::pg_lsn - '0/0', 4294967296)::bigint), 8, '0') ||
                  lpad(to_hex((('$until_lsn'::pg_lsn - '0/0') % 4294967296)::bigint), 8, '0')")
[[ "$last" > "$until_hex" || "$last" == "$until_hex" ]] ||
  fail "the journal ends at $last, before --until $until_hex"
pass "the journal reaches the stop position"

# Unchanged TOAST: the update of `small` carries \U for `big`, never a NULL.
grep -aq $'^U\tpublic.toast\t1\t1\t\\\\U\t1$' cdc.journal ||
  { grep -a $'^U\tpublic.toast' cdc.journal | cut -c1-80; fail "no unchanged marker for the TOAST column"; }
grep -aq $'^U\tpublic.toast\t2\t2\t\\\\U\t6$' cdc.journal || fail "no unchanged marker for row 2"
pass "unchanged TOAST values arrive as the unchanged marker"

# Key updates carry the old key; the keyless FULL table carries its old row.
grep -aq $'^U\tpublic.kv\t5\t1005\tv5$' cdc.journal || fail "key update without the old key"
grep -aq $'^U\tpublic.comp\t3\t3\t31\tc3$' cdc.journal || fail "composite key update"
grep -aq $'^U\tpublic.nokey\t2\t2\tchanged$' cdc.journal || fail "REPLICA IDENTITY FULL update"
grep -aq $'^D\tpublic.nokey\t3$' cdc.journal || fail "REPLICA IDENTITY FULL delete"
grep -aq $'^I\tpublic.parts\t1001\thi$' cdc.journal || fail "partition insert not under the root"
grep -aq $'^[DU]\tpublic.parts_' cdc.journal && fail "a partition's change arrived under its own name"
pass "old keys and old rows arrive with updates and deletes; partitions as their root"

# TRUNCATE of two tables: one record each, inside one transaction.
[ "$(grep -ac $'^T\tpublic.trunc2\\?$' cdc.journal)" = 2 ] || fail "TRUNCATE records missing"
pass "TRUNCATE of two tables gives a record for each"

# Schema changes: 4 columns before the first 4-column row, 3 after the drop.
awk -F'\t' '$2 == "public.ddl" { print $1 "\t" NF - 2 "\t" $3 }' cdc.journal > ddl.seq
grep -q $'^X\t1\t4$' ddl.seq || { cat ddl.seq; fail "no schema change to 4 columns"; }
grep -q $'^X\t1\t3$' ddl.seq || { cat ddl.seq; fail "no schema change to 3 columns"; }
python3 - ddl.seq <<'PY' || fail "rows of public.ddl do not follow their schema changes"
import sys
ncols = 3  # id, a, b at discover
for line in open(sys.argv[1]):
    kind, n, first = line.rstrip('\n').split('\t')
    n = int(n)
    if kind == 'X':
        ncols = int(first)
    elif kind in ('I', 'S') and n != ncols:
        sys.exit('%s row with %d values under a %d-column shape' % (kind, n, ncols))
    elif kind == 'U' and n - 1 != ncols:
        sys.exit('U row with %d values under a %d-column shape' % (n - 1, ncols))
PY
pass "schema-change records come before the rows of the new shape"

# The transaction larger than a batch arrived whole, in one BEGIN/COMMIT.
python3 - cdc.journal <<'PY' || fail "the bulk transaction was split or interleaved"
import sys
inside, bulk = False, 0
for line in open(sys.argv[1], 'rb'):
    f = line.rstrip(b'\n').split(b'\t')
    if f[0] == b'B':
        inside, n = True, 0
    elif f[0] == b'C':
        if n >= 5001:
            bulk += 1
        inside = False
    elif inside and f[0] == b'I' and f[1] == b'public.kv' and f[3].startswith(b'bulk'):
        n += 1
sys.exit(0 if bulk == 1 else 'bulk transactions found: %d' % bulk)
PY
grep -aq 'rolled back' cdc.journal && fail "a rolled-back transaction arrived"
pass "a transaction larger than a batch arrives whole; a rollback sends nothing"

# Nothing acknowledged beyond what the target committed.
slot=$(slot_flush_hex)
[[ "$slot" < "$last" || "$slot" == "$last" ]] || fail "slot confirmed $slot, beyond the journal's $last"
pass "the slot's confirmed position ($slot) is not beyond the journal's last commit ($last)"
finish
