#!/usr/bin/env bash
# s3_pg_values: source-pg into s3rver, full load then CDC, read back and compared row by
# row with psql's COPY of the source: NULL against the empty string, commas, double
# quotes, CR/LF, tabs, backslashes, non-ASCII, numeric/timestamp/timestamptz/bytea/jsonb,
# unchanged TOAST values (csvNoSupValue); inserts, updates, deletes and a transaction
# over several tables (one roll: one file per table, same position range). The bytes of
# the objects against DMS's CSV (Op column, empty field for NULL, "" for ''). Then gzip
# with includeOpForFullLoad, timestampColumnName, addColumnName and datePartitionEnabled:
# gzip -d reads every object, and the extra columns are where DMS puts them.
source "$(dirname "$0")/pg_common.sh"

src <<'SQL'
CREATE TABLE vals (id int PRIMARY KEY, t text, vc varchar(40), n numeric, ts timestamp,
                   tz timestamptz, b bytea, j jsonb, f bool, big text);
INSERT INTO vals VALUES
  (1, NULL, '', 1.5, '2024-01-01 00:00:00', '2024-06-30 23:59:59.999999+02', '\x00ff', '{"a": 1}', true, NULL),
  (2, '', NULL, -0.000001, '1999-12-31 23:59:59.5', NULL, '', '[]', false, NULL),
  (3, 'a,b', 'say "hi"', 12345678901234567890.123456789, NULL, '2000-01-01 00:00:00+00',
      '\x5c2c22', '{"q": "a\"b", "n": null}', NULL, NULL),
  (4, E'line1\nline2\r\nend', E'tab\there', 'NaN', 'infinity', '-infinity', '\x0d0a', '"s"', true, NULL),
  (5, E'back\\slash \\N', 'ünï 日本 🎉', 0, '2024-02-29 12:00:00.000001', now(), NULL,
      '{"é": "\u00e9\t", "k": [1, 2.50]}', false, NULL),
  (6, '"', '""', 1e-20, '0001-01-01 00:00:00', '2024-01-01 00:00:00+05:30', '\x22', 'null', true, NULL),
  (7, 'NULL', '\N', 100, '2024-01-01', '2024-01-01', '\x', '{}', false, NULL);
UPDATE vals SET big = (SELECT string_agg(md5(i::text || id::text), '') FROM generate_series(1, 250) i)
 WHERE id IN (1, 3);
CREATE TABLE nul (id int PRIMARY KEY, a text, b text);
INSERT INTO nul VALUES (1, NULL, ''), (2, 'NULL', 'a,b"c'), (3, E'l1\nl2', E'tab\there\\');
CREATE TABLE other (id int PRIMARY KEY, v text);
INSERT INTO other VALUES (1, 'one');
SQL

# changes: inserts of the same awkward values, updates to NULL / '' / text, deletes, and
# one transaction over all three tables. $1: the id offset of the inserts.
changes() {
  local o=$1
  src -c "INSERT INTO vals SELECT id + $o, t, vc, n, ts, tz, b, j, f, big FROM vals WHERE id < 10"
  src -c "UPDATE vals SET t = NULL, vc = '' WHERE id = 2" \
      -c "UPDATE vals SET t = '', vc = NULL, n = n * 2, j = j || '{\"u\": \"x,\\\"y\"}' WHERE id IN (1, 3)" \
      -c "UPDATE vals SET t = E'upd\\\\ \\t\\n \"q\", é' WHERE id = 4 + $o"
  src -c "DELETE FROM vals WHERE id IN (6, 6 + $o)"
  src <<SQL
BEGIN;
INSERT INTO nul VALUES (4 + $o, '', NULL);
UPDATE nul SET a = 'x' WHERE id = 1;
DELETE FROM nul WHERE id = 2;
INSERT INTO other VALUES (2 + $o, 'two');
UPDATE vals SET f = NOT f WHERE id = 5;
COMMIT;
SQL
  src -c "INSERT INTO other VALUES (999 + $o, 'marker$o')"
}

# --- CSV, DMS defaults ---
make_bucket() { bash "$S3_TESTS/s3rver.sh" mkbucket "$S3_PORT" "$1"; }
make_bucket pg-csv
write_pipeline csv pg-csv "cdcMaxBatchInterval = 0, useCsvNoSupValue = true, csvNoSupValue = '__unchanged__'"
start_run csv
same_as_source pg-csv "--no-sup __unchanged__"
pass "full load: every row equals the source's ($(wc -l < want.out) rows)"
load=$(objects pg-csv -path '*/public/nul/LOAD00000001.csv._S3rver_object')
printf '1,,""\n2,NULL,"a,b""c"\n3,"l1\nl2",tab\there\\\n' > want.bytes
cmp "$load" want.bytes || { od -c "$load" | head >&2; fail "nul LOAD file bytes"; }
pass "LOAD bytes: NULL an empty field, '' as \"\", quoting of , \" LF; tab and backslash as they are"

changes 100
wait_for pg-csv marker100
stop_run
same_as_source pg-csv "--no-sup __unchanged__"
pass "CDC: inserts, updates, deletes replay to the source ($(wc -l < want.out) rows)"
grep -q '__unchanged__' $(objects pg-csv -path '*/public/vals/20*') ||
  fail "no unchanged TOAST value was written as csvNoSupValue"
pass "unchanged TOAST values of updates are csvNoSupValue, and the replay keeps the old value"
nulf=$(objects pg-csv -path '*/public/nul/20*')
[ "$(echo "$nulf" | wc -l)" = 1 ] || fail "expected one change file for nul, got: $nulf"
# the delete's old row is the key (default replica identity): the other columns were
# not sent, and are csvNoSupValue like unchanged TOAST values (DMS: "columns not
# included in the supplemental log")
printf 'I,104,"",\nU,1,x,""\nD,2,__unchanged__,__unchanged__\n' > want.bytes
cmp "$nulf" want.bytes || { od -c "$nulf" | head >&2; fail "nul change file bytes"; }
pass "change file bytes: Op first (I, U, D), NULL empty, '' quoted, the delete's old key alone"
range=${nulf##*/public/nul/}; range=${range:20}
o=$(objects pg-csv -path "*/public/other/*$range")
v=$(objects pg-csv -path "*/public/vals/*$range")
[ -n "$o" ] && [ -n "$v" ] || fail "the transaction over nul, other and vals is not in one roll ($range)"
grep -q '^I,102,two$' "$o" || fail "the transaction's insert into other is missing from $o"
grep -q '^U,5,' "$v" || fail "the transaction's update of vals is missing from $v"
pass "a transaction over three tables: one file each, the same position range"

# --- gzip, includeOpForFullLoad, timestampColumnName, addColumnName, datePartitionEnabled ---
src -c "DELETE FROM nul; INSERT INTO nul VALUES (1, NULL, ''), (2, 'NULL', 'a,b\"c')"
make_bucket pg-gz
write_pipeline gz pg-gz "cdcMaxBatchInterval = 0, compressionType = 'GZIP', includeOpForFullLoad = true,
  timestampColumnName = 'cdc_ts', addColumnName = true, datePartitionEnabled = true,
  useCsvNoSupValue = true, csvNoSupValue = '__unchanged__'"
t0=$(date -u +%s)
start_run gz
changes 200
wait_for pg-gz marker200
stop_run
t1=$(date -u +%s)
n=0
for f in $(objects pg-gz -not -path "*/_sluice/*"); do
  case "$f" in *.csv.gz._S3rver_object) ;; *) fail "not a .csv.gz object: $f" ;; esac
  gzip -t "$f" 2>/dev/null || fail "gzip -d cannot read $f"
  n=$((n + 1))
done
[ "$n" -ge 6 ] || fail "only $n objects: 3 LOAD files and a change file per table expected"
pass "gzip: all $n objects are .csv.gz and gzip -d reads them"
same_as_source pg-gz "--gzip --header --load-op --ts --no-sup __unchanged__"
pass "gzip with header, Op and timestamp columns: replay equals the source ($(wc -l < want.out) rows)"
load=$(objects pg-gz -path '*/public/nul/LOAD00000001.csv.gz._S3rver_object')
body "$load" | sed -E 's/^I,[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6},/I,TS,/' > got.bytes
printf 'Op,cdc_ts,id,a,b\nI,TS,1,,""\nI,TS,2,NULL,"a,b""c"\n' > want.bytes
cmp got.bytes want.bytes || { cat got.bytes >&2; fail "nul LOAD file with Op, timestamp and header"; }
ts=$(body "$load" | sed -n '2s/^I,\([^,]*\),.*/\1/p')
tsec=$(date -u -d "$ts" +%s)
[ "$tsec" -ge "$t0" ] && [ "$tsec" -le "$t1" ] || fail "full-load timestamp $ts is not the transfer time"
pass "includeOpForFullLoad, timestampColumnName (transfer time $ts), addColumnName: LOAD bytes"
nulf=$(objects pg-gz -path '*/public/nul/*/20*')
[ "$(echo "$nulf" | wc -l)" = 1 ] || fail "expected one change file for nul, got: $nulf"
day=$(date -u -d "@$t1" +%Y/%m/%d) day0=$(date -u -d "@$t0" +%Y/%m/%d)
case "$nulf" in */public/nul/$day/20*|*/public/nul/$day0/20*) ;; *) fail "no date folder in $nulf" ;; esac
body "$nulf" > got.raw
sed -E 's/^([IUD]),[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6},/\1,TS,/' got.raw > got.bytes
printf 'Op,cdc_ts,id,a,b\nI,TS,204,"",\nU,TS,1,x,""\nD,TS,2,__unchanged__,__unchanged__\n' > want.bytes
cmp got.bytes want.bytes || { cat got.raw >&2; fail "nul change file with timestamp and header"; }
[ "$(cut -d, -f2 got.raw | tail -n +2 | sort -u | wc -l)" = 1 ] ||
  fail "the rows of one transaction have different commit times"
commit=$(sed -n '2s/^I,\([^,]*\),.*/\1/p' got.raw)
csec=$(date -u -d "$commit" +%s)
[ "$csec" -ge "$t0" ] && [ "$csec" -le "$t1" ] || fail "change timestamp $commit is not the commit time"
stamp=$(date -u -d "$commit" +%Y%m%d-%H%M%S)
case "${nulf##*/}" in "$stamp"*) ;; *) fail "file name ${nulf##*/} does not begin with the commit time $commit" ;; esac
pass "change files: date folder $day, commit time $commit in the name and in cdc_ts"
finish
