#!/usr/bin/env bash
# s3_pg_schema: columns added and dropped at the source while sink-s3 streams
# (source-pg sends a SCHEMA event with the table's new version). No CSV file may mix
# two column layouts: rows of the old layout are closed into their own file and new
# rows start a new one. One roll that holds three layouts of a table (ADD COLUMN in a
# transaction of its own, DROP COLUMN in the middle of a transaction that writes rows
# before and after it) writes three files of that table with the same position range,
# numbered -001, -002, -003, each with its own header; replayed (s3_replay.py matches
# columns by the headers) the bucket equals the source. Then the same under kill -9:
# columns added and dropped between changes while the run is killed three times, then
# a run to the end: every change exactly once, the replay equals the source.
source "$(dirname "$0")/pg_common.sh"
make_bucket() { bash "$S3_TESTS/s3rver.sh" mkbucket "$S3_PORT" "$1"; }

src <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, a text, b text);
INSERT INTO t VALUES (1, 'a1', 'b1'), (2, 'a2', 'b2'), (3, 'a3', NULL);
CREATE TABLE other (id int PRIMARY KEY, v text);
INSERT INTO other VALUES (1, 'one');
SQL

# applied PIPELINE TABLE FIELD: a table's counter in the running pipeline's status file
applied() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(next((t[sys.argv[3]] for t in d["tables"] if t["name"] == sys.argv[2]), 0))' \
    ".sluice/$1/status.json" "$2" "$3" 2>/dev/null || echo 0
}
# wait_applied PIPELINE TABLE FIELD N: until that counter reaches N
wait_applied() {
  for _ in $(seq 300); do [ "$(applied "$1" "$2" "$3")" -ge "$4" ] && return 0; sleep 0.1; done
  fail "$1: $2 never reached $4 $3"
}

# --- one roll, three layouts of t ---
make_bucket pg-schema
# no roll before the stop (SIGTERM writes one), so every change below is in one roll
write_pipeline schema pg-schema "cdcMaxBatchInterval = 3600, addColumnName = true"
start_run schema
src <<'SQL'
INSERT INTO t VALUES (4, 'a4', 'b4');
INSERT INTO other VALUES (2, 'two');
ALTER TABLE t ADD COLUMN c text;
INSERT INTO t VALUES (5, 'a5', 'b5', 'c5');
UPDATE t SET c = 'c1' WHERE id = 1;
BEGIN;
INSERT INTO t VALUES (6, 'a6', 'b6', 'c6');
ALTER TABLE t DROP COLUMN b;
INSERT INTO t VALUES (7, 'a7', 'c7');
UPDATE t SET a = 'x,"y"' WHERE id = 2;
COMMIT;
DELETE FROM t WHERE id = 3;
SQL
wait_applied schema public.t deletes 1
[ -z "$(objects pg-schema -path '*/20*')" ] || fail "a roll before the stop"
stop_run
mapfile -t files < <(objects pg-schema -path '*/public/t/20*')
[ "${#files[@]}" = 3 ] || fail "expected 3 change files of t, got: ${files[*]}"
range=
for i in 0 1 2; do
  f=${files[$i]##*/}
  case "$f" in *-00$((i + 1)).csv._S3rver_object) ;; *) fail "file $((i + 1)) of t is named $f" ;; esac
  r=${f:20:33}
  [ -z "$range" ] || [ "$r" = "$range" ] || fail "the files of t are not one roll: $r, $range"
  range=$r
done
o=$(objects pg-schema -path "*/public/other/*$range.csv._S3rver_object")
[ -n "$o" ] || fail "other's change file is not in the same roll as t's ($range)"
pass "one roll: 3 files of t with the same range $range, numbered -001 -002 -003; other: one"
printf 'Op,id,a,b\nI,4,a4,b4\n' > want1
printf 'Op,id,a,b,c\nI,5,a5,b5,c5\nU,1,a1,b1,c1\nI,6,a6,b6,c6\n' > want2
printf 'Op,id,a,c\nI,7,a7,c7\nU,2,"x,""y""",\nD,3,,\n' > want3
for i in 1 2 3; do
  cmp "${files[$((i - 1))]}" want$i || { cat "${files[$((i - 1))]}" >&2; fail "bytes of t's file $i"; }
done
pass "each file holds one column layout with its header: (id,a,b), (id,a,b,c), (id,a,c)"
same_as_source pg-schema "--header"
pass "replayed by header, the bucket equals the source ($(wc -l < want.out) rows)"

# --- kill -9 while columns come and go ---
make_bucket pg-schema-kill
write_pipeline kill pg-schema-kill "cdcMaxBatchInterval = 0, addColumnName = true"
start_run kill
stop_run
# churn ROUND: rows in old and new layouts, a column added, one dropped
churn() {
  local r=$1 i
  for i in $(seq 1 8); do
    src -c "INSERT INTO t (id, a) VALUES ($r * 100 + $i, 'r$r-$i')" \
        -c "UPDATE t SET a = a || '+' WHERE id = $r * 100 + $i - 1" \
        -c "INSERT INTO other VALUES ($r * 100 + $i, 'o$r-$i')"
  done
  src -c "ALTER TABLE t ADD COLUMN k$r int" -c "UPDATE t SET k$r = $r WHERE id = $r * 100 + 1"
  src -c "BEGIN" -c "INSERT INTO t (id, a) VALUES ($r * 100 + 50, 'mid$r')" \
      -c "ALTER TABLE t ADD COLUMN m$r text" -c "UPDATE t SET m$r = 'm' WHERE id = $r * 100 + 50" \
      -c "COMMIT"
  [ "$r" -lt 2 ] || src -c "ALTER TABLE t DROP COLUMN k$((r - 1))"
  src -c "DELETE FROM t WHERE id = $r * 100 + 2"
}
for r in 1 2 3; do
  "$SLUICE" run kill.lua > run.log 2>&1 & pid=$!
  BG_PIDS+=("$pid")
  churn "$r"
  sleep 0.$((r * 2))
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "    kill -9 in round $r: $(objects pg-schema-kill -path '*/20*' | wc -l) change files so far"
done
churn 4
# --until ends after the first COMMIT at or past it: take it inside a last
# transaction, so that transaction's commit is that COMMIT (an LSN read after the
# last commit can lie past it when the server logs anything else, and no commit
# would ever come)
until=$(src -c "BEGIN; UPDATE other SET v = v WHERE id = (SELECT min(id) FROM other);
                SELECT pg_current_wal_insert_lsn(); COMMIT;" | tail -1)
"$SLUICE" run kill.lua --until "$until" > run.log 2>&1 || fail "final run --until $until"
n=$(objects pg-schema-kill -path '*/public/t/20*' | wc -l)
[ "$n" -gt 4 ] || fail "only $n change files of t"
same_as_source pg-schema-kill "--header"
pass "kill -9 three times while columns are added and dropped: every change once, replay equals the source"
finish
