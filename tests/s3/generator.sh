#!/usr/bin/env bash
# s3_generator: full load and change files from the generator (awkward texts: tab,
# backslash, newline, quotes via CSV quoting, é), CSV plain, CSV gzip (every object
# must be gzip, and gzip -d must read it), JSON Lines; and several parallel chunks
# of one table into one folder with distinct LOAD numbers.
source "$(dirname "$0")/common.sh"
GEN="tables = 3, rows = 2000, txns = 300, special_text = true"
ARGS=(--tables 3 --rows 2000 --txns 300 --special-text)

make_bucket gen-csv
write_pipeline csv.lua full-load-and-cdc "$GEN" "cdcMaxBatchInterval = 0"
"$SLUICE" run csv.lua > run.log 2>&1 || { tail -20 run.log; fail "run csv"; }
check_bucket "" "${ARGS[@]}"
pass "csv: full load and change files replay to the generator's tables"

make_bucket gen-gzip
write_pipeline gz.lua full-load-and-cdc "$GEN" "cdcMaxBatchInterval = 0, compressionType = 'GZIP'"
"$SLUICE" run gz.lua > run.log 2>&1 || { tail -20 run.log; fail "run gzip"; }
check_bucket "--gzip" "${ARGS[@]}"
obj=$(find "$S3_DATA/gen-gzip/out/gen/t1" -name 'LOAD00000001.csv.gz._S3rver_object')
[ -n "$obj" ] || fail "no LOAD00000001.csv.gz"
gzip -dc "$obj" > load1.csv || fail "gzip -d cannot read $obj"
[ "$(head -c 2 load1.csv)" = "1," ] || fail "$obj does not begin with row 1"
pass "gzip: objects are .gz, gzip -d reads them, replay matches"

make_bucket gen-jsonl
write_pipeline jl.lua full-load-and-cdc "$GEN" "cdcMaxBatchInterval = 0, dataFormat = 'jsonl'"
"$SLUICE" run jl.lua > run.log 2>&1 || { tail -20 run.log; fail "run jsonl"; }
check_bucket "--format jsonl" "${ARGS[@]}"
pass "jsonl: replay matches"

make_bucket gen-chunks
write_pipeline ch.lua full-load "tables = 1, rows = 5000, txns = 0, chunk_rows = 1000" "" \
  "MaxFullLoadSubTasks = 3, FullLoadChunkRows = 1000"
"$SLUICE" run ch.lua > run.log 2>&1 || { tail -20 run.log; fail "run chunks"; }
n=$(find "$S3_DATA/gen-chunks/out/gen/t1" -name 'LOAD*._S3rver_object' | wc -l)
[ "$n" -eq 5 ] || fail "expected 5 LOAD files for 5 chunks, found $n"
check_bucket "" --tables 1 --rows 5000 --txns 0
pass "parallel chunks: 5 LOAD files with distinct numbers, all rows once"
make_bucket gen-wide
write_pipeline wide.lua full-load "tables = 1, rows = 6000, txns = 0, wide = true" \
  "part_size = 5242880"
"$SLUICE" run wide.lua > run.log 2>&1 || { tail -20 run.log; fail "run wide"; }
obj=$(find "$S3_DATA/gen-wide/out/gen/t1" -name 'LOAD00000001.csv._S3rver_object')
size=$(stat -c %s "$obj")
[ "$size" -gt 10485760 ] || fail "the wide LOAD file is $size bytes: too small for 3 parts"
grep -q '"multipart_uploads": *1' .sluice/wide/status.json ||
  { cat .sluice/wide/status.json >&2; fail "no multipart upload counted"; }
check_bucket "" --tables 1 --rows 6000 --txns 0 --wide
pass "multipart: a $size-byte LOAD file in 5 MiB parts, replay matches"
finish
