#!/usr/bin/env bash
# s3_pg_options: source-pg into s3rver with the options that shape change files:
#   cdcInsertsOnly (+ csvNullValue = "NULL"): only I rows, NULL written NULL, '' as "",
#     a text "NULL" quoted; cdcInsertsAndUpdates: I and U rows, no D;
#   a time-based roll (cdcMaxBatchInterval = 2): nothing is written before the
#     interval, a file once it has passed while sluice still runs;
#   a size-based roll (cdcMaxBatchInterval = 3600, cdcMinFileSize = 1 KB): a small
#     transaction waits, one past 1 KB rolls at once; what was not rolled at SIGTERM is
#     written by the next run; the rolls chain (each range once) and replay to the source.
source "$(dirname "$0")/pg_common.sh"
make_bucket() { bash "$S3_TESTS/s3rver.sh" mkbucket "$S3_PORT" "$1"; }

src <<'SQL'
CREATE TABLE nul (id int PRIMARY KEY, a text, b text);
CREATE TABLE pad (id int PRIMARY KEY, v text);
SQL
reset() { src -c "DELETE FROM nul; INSERT INTO nul VALUES (1, NULL, ''), (2, 'NULL', 'a,b\"c')"; }
nul_changes() { # $1: id of the insert
  src <<SQL
BEGIN;
INSERT INTO nul VALUES ($1, '', NULL), ($1 + 1, 'NULL', 'x');
UPDATE nul SET a = 'x' WHERE id = 1;
DELETE FROM nul WHERE id = 2;
COMMIT;
INSERT INTO pad VALUES ($1, 'marker$1');
SQL
}

# --- cdcInsertsOnly, csvNullValue ---
reset
make_bucket pg-ins
write_pipeline ins pg-ins "cdcMaxBatchInterval = 0, cdcInsertsOnly = true, csvNullValue = 'NULL'"
start_run ins
nul_changes 10
wait_for pg-ins marker10
stop_run
load=$(objects pg-ins -path '*/public/nul/LOAD00000001.csv._S3rver_object')
printf '1,NULL,""\n2,"NULL","a,b""c"\n' > want.bytes
cmp "$load" want.bytes || { cat "$load" >&2; fail "LOAD bytes with csvNullValue = NULL"; }
cat $(objects pg-ins -path '*/public/nul/20*') > got.bytes
printf 'I,10,"",NULL\nI,11,"NULL",x\n' > want.bytes
cmp got.bytes want.bytes || { cat got.bytes >&2; fail "cdcInsertsOnly change rows"; }
pass "cdcInsertsOnly: only the inserts, Op I; csvNullValue NULL: NULL bare, text \"NULL\" quoted, '' as \"\""

# --- cdcInsertsAndUpdates ---
reset
make_bucket pg-insupd
write_pipeline insupd pg-insupd "cdcMaxBatchInterval = 0, cdcInsertsAndUpdates = true"
start_run insupd
nul_changes 20
wait_for pg-insupd marker20
stop_run
cat $(objects pg-insupd -path '*/public/nul/20*') > got.bytes
printf 'I,20,"",\nI,21,NULL,x\nU,1,x,""\n' > want.bytes
cmp got.bytes want.bytes || { cat got.bytes >&2; fail "cdcInsertsAndUpdates change rows"; }
pass "cdcInsertsAndUpdates: inserts and updates, no delete"

# --- time-based roll ---
make_bucket pg-time
write_pipeline time pg-time "cdcMaxBatchInterval = 2"
start_run time
src -c "INSERT INTO pad VALUES (100, 'first')"
sleep 1
[ -z "$(objects pg-time -path '*/20*')" ] || fail "a change file was written before cdcMaxBatchInterval"
# the core calls flush after each batch: keep changes coming until the interval passes
sleep 1.5
for i in $(seq 101 140); do
  src -c "INSERT INTO pad VALUES ($i, 'next')"
  [ -n "$(objects pg-time -path '*/20*')" ] && break
  sleep 0.5
done
wait_for pg-time first
kill -0 "$RUN_PID" || fail "sluice is not running"
pass "cdcMaxBatchInterval = 2: no file after 1 s, a file once 2 s have passed, while running"
stop_run
# what was not rolled at the stop comes with the next run (here rolled at every flush)
write_pipeline time pg-time "cdcMaxBatchInterval = 0"
start_run time
src -c "INSERT INTO pad VALUES (150, 'marker150')"
wait_for pg-time marker150
stop_run
same_as_source pg-time ""
pass "time-based rolls, then the resumed run: each range once, replay equals the source"

# --- size-based roll ---
make_bucket pg-size
write_pipeline size pg-size "cdcMaxBatchInterval = 3600, cdcMinFileSize = 1"
start_run size
src -c "INSERT INTO pad VALUES (200, 'small')"
sleep 1.5
[ -z "$(objects pg-size -path '*/20*')" ] || fail "a small transaction was rolled before cdcMinFileSize"
src -c "INSERT INTO pad SELECT 1000 + i, repeat('x', 100) || 'big' FROM generate_series(1, 12) i"
wait_for pg-size small
f=$(objects pg-size -path '*/20*')
[ "$(echo "$f" | wc -l)" = 1 ] || fail "expected one change file, got: $f"
size=$(stat -c %s "$f")
[ "$size" -ge 1024 ] || fail "the rolled file has $size bytes, under cdcMinFileSize"
src -c "INSERT INTO pad VALUES (201, 'after')"
sleep 1.5
[ "$(objects pg-size -path '*/20*' | wc -l)" = 1 ] || fail "a roll below cdcMinFileSize before the interval"
stop_run
# At a stop (SIGTERM) the core flushes once more and the sink writes what it holds.
[ "$(objects pg-size -path '*/20*' | wc -l)" = 2 ] || fail "the held change was not written at SIGTERM"
wait_for pg-size after
write_pipeline size pg-size "cdcMaxBatchInterval = 0"
start_run size
src -c "INSERT INTO pad VALUES (202, 'resumed')"
wait_for pg-size resumed
stop_run
[ "$(objects pg-size -path '*/20*' | wc -l)" = 3 ] || fail "the resumed run: $(objects pg-size -path '*/20*' | wc -l) change files, expected 3"
same_as_source pg-size ""
pass "cdcMinFileSize = 1 KB: small changes wait, a $size-byte roll at once; what is held is written at the stop; the next run goes on, each range once"
finish
