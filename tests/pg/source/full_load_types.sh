#!/usr/bin/env bash
# Test 1: a full load of many PostgreSQL types and awkward names; every value the
# capture sink received equals PostgreSQL's own COPY text output, byte for byte.
. "$(dirname "$0")/common.sh"

# Database defaults that are not canonical: source-pg's session must override them.
qpg -c "ALTER DATABASE \"$DB\" SET TimeZone = 'Asia/Kolkata'" \
    -c "ALTER DATABASE \"$DB\" SET DateStyle = 'SQL, DMY'" \
    -c "ALTER DATABASE \"$DB\" SET IntervalStyle = 'sql_standard'" \
    -c "ALTER DATABASE \"$DB\" SET extra_float_digits = 0" \
    -c "ALTER DATABASE \"$DB\" SET bytea_output = 'escape'" >/dev/null

# The shared type zoo (also used by the PG-to-PG round trip, tests/pg/e2e/types.sh).
q -f "$HERE/../types.sql" > /dev/null
q <<'SQL'
CREATE TABLE parts (id int PRIMARY KEY, region text) PARTITION BY RANGE (id);
CREATE TABLE parts_a PARTITION OF parts FOR VALUES FROM (0) TO (1000);
CREATE TABLE parts_b PARTITION OF parts FOR VALUES FROM (1000) TO (3000);
INSERT INTO parts SELECT g, 'r' || g % 7 FROM generate_series(1, 2500) g;

CREATE TABLE inh_parent (id int PRIMARY KEY, v text);
CREATE TABLE inh_child (extra int) INHERITS (inh_parent);
ALTER TABLE inh_child ADD PRIMARY KEY (id);
INSERT INTO inh_parent VALUES (1, 'parent');
INSERT INTO inh_child VALUES (2, 'child', 7);

-- split by key ranges (single integer key) and by ctid blocks (no key)
CREATE TABLE big (id bigint PRIMARY KEY, v text);
INSERT INTO big SELECT g * 3 - 1000, md5(g::text) FROM generate_series(1, 30000) g;
CREATE TABLE heap (a int, b text);
ALTER TABLE heap REPLICA IDENTITY FULL;
INSERT INTO heap SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 20000) g;
ANALYZE;
SQL

write_pipeline load.lua full-load "schemas = 'public, Mixed Schema'" \
  'MaxFullLoadSubTasks = 3, BatchRows = 700, FullLoadChunkRows = 5000'
"$SLUICE" run load.lua > run.log 2>&1 || { cat run.log; fail "full load exited $?"; }
pass "full load ran"

grep -q "tables in 1[0-9] chunks\|tables in [2-9][0-9] chunks" run.log ||
  { grep "chunks" run.log; fail "big and heap were not split into chunks"; }
pass "big tables were split into chunks ($(grep -o '[0-9]* tables in [0-9]* chunks' run.log))"

check_snapshot load.journal public.scalars scalars
check_snapshot load.journal public.arrays arrays
check_snapshot load.journal 'Mixed Schema.tëst "q" Tab' '"Mixed Schema"."tëst ""q"" Tab"'
check_snapshot load.journal public.parts parts
check_snapshot load.journal public.inh_parent 'ONLY inh_parent'
check_snapshot load.journal public.inh_child inh_child
check_snapshot load.journal public.big big
check_snapshot load.journal public.heap heap
pass "every value of every table equals PostgreSQL's COPY output"

if grep -aq $'^S\tpublic.parts_' load.journal; then fail "partitions were loaded on their own"; fi
[ "$(grep -ac $'^L\t' load.journal)" -ge 8 ] || fail "not every table finished"
pass "partitions arrive as their root only"

# A canonical-form spot check, independent of psql: UTC and ISO despite the defaults.
grep -aq '2024-06-30 21:59:59.999999+00' load.journal || fail "timestamptz not in UTC/ISO form"
grep -aq '\\\\x000102ff00' load.journal || fail "bytea not in hex form"
pass "values use the canonical session settings, not the database defaults"
finish
