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

q <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'it''s "odd"');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN code AS varchar(8);

CREATE TABLE scalars (
  id int PRIMARY KEY,
  b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
  num numeric, num_ps numeric(12,4), m money,
  c char(5), vc varchar(20), t text, nm name, ch "char",
  by bytea, d date, tm time(3), tmtz timetz, ts timestamp, tstz timestamptz, iv interval,
  u uuid, j json, jb jsonb, x xml, ip inet, net cidr, mac macaddr, mac8 macaddr8,
  bt bit(8), vb varbit, pt point, ln line, ls lseg, bx box, pa path, pg polygon, ci circle,
  tv tsvector, tq tsquery, o oid, lsn pg_lsn, r4 int4range, rts tstzrange, mr nummultirange,
  x8 xid8, e mood, pi posint, cd code
);
INSERT INTO scalars VALUES (1, true, 32767, 2147483647, 9223372036854775807, 3.4028235e38,
  1.7976931348623157e308, (repeat('9', 120) || '.' || repeat('1', 30))::numeric, 12345678.1234,
  1234.56, 'ab', E'v\tc', E'line1\nline2\r\n\\back\\ \b\f\v end ünï 日本 🎉', 'name', 'x',
  '\x000102ff00'::bytea, '2024-02-29', '23:59:59.999', '12:00+05:30',
  '2024-01-01 00:00:00.123456', '2024-06-30 23:59:59.999999+02',
  '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": [1, 2, {"b": null}], "c": "\u00e9\t"}', '{"z": 1, "a": [true, false], "n": 1.50}',
  '<a x="1">t&amp;</a>', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
  '08:00:2b:01:02:03:04:05', B'10101010', B'1101', '(1.5,-2)', '{1,-1,0}', '[(0,0),(1,1)]',
  '((0,0),(1,1))', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(0,0),1.5>',
  'a fat:2 cat', 'fat & !rat', 4294967295, '16/B374D848', '[1,10)',
  '[2024-01-01,2024-12-31)', '{[1,2],[5,6)}', '12345', 'it''s "odd"', 42, 'ABC');
INSERT INTO scalars (id, b, i2, i4, i8, f4, f8, num, num_ps, c, vc, t, by, d, tm, tmtz, ts, tstz,
                     iv, j, jb, ip, e)
VALUES (2, false, -32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity', 'NaN',
  -0.0001, '', '', '', '\x'::bytea, '4713-01-01 BC', '00:00', '00:00-12', 'infinity',
  '-infinity', '-178000000 years', '[]', '{}', '::1', 'sad'),
  (3, NULL, 0, 0, 0, 'Infinity', '-0', 'Infinity', 0, ' ', ' ', ' ', '\x00'::bytea,
  'infinity', '24:00', '24:00+15:59', '294276-12-31 23:59:59.999999',
  '4713-01-01 00:00:00+00 BC', '-1 day +02:03:04', '"\u0000"', '"\\\"\u0001"', '2001:db8::/32',
  'happy'),
  (4, NULL, NULL, NULL, NULL, '-Infinity', 1e-310, '-Infinity', NULL, NULL, NULL, E'\\N',
  '\x5c4e'::bytea, '-infinity', NULL, NULL, '-infinity', 'infinity', '-00:00:00.000001', 'null',
  'null', NULL, NULL),
  (5, NULL, NULL, NULL, NULL, 1.17549435e-38, 0.1, 0.1, 1e-4, NULL, NULL, E'\\.', NULL,
  '5874897-12-31', NULL, NULL, NULL, NULL, '00:00:00', NULL, NULL, NULL, NULL);
INSERT INTO scalars (id) VALUES (6);
INSERT INTO scalars (id, i4, t, num, tstz, by, j, f8)
  SELECT g, g * 7, 'row ' || g || E'\t' || md5(g::text), g / 7.0,
         '2020-01-01'::timestamptz + g * interval '1 minute', decode(md5(g::text), 'hex'),
         json_build_object('g', g), g / 3.0
  FROM generate_series(10, 3000) g;

CREATE TABLE arrays (
  id bigint PRIMARY KEY, ai int[], at text[], an numeric[], ab bytea[], ae mood[],
  ats timestamptz[], a2 int[][], ajb jsonb[], af float8[], ad posint[], lb int[]
);
INSERT INTO arrays VALUES (1, '{1,2,NULL}',
  ARRAY['a b', 'q"uote', E'back\\slash', NULL, 'NULL', '', E'tab\there', 'ünï'],
  '{1.5,NaN,Infinity}', ARRAY['\x00ff'::bytea, '\x'::bytea], '{sad,"it''s \"odd\""}',
  ARRAY['2024-01-01 00:00+00'::timestamptz, 'infinity'], '{{1,2},{3,4}}',
  ARRAY['{"a": 1}'::jsonb, 'null'], '{NaN,-0,1e-310}', '{1,2}', '[0:1]={5,6}'),
  (2, '{}', '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE SCHEMA "Mixed Schema";
CREATE TABLE "Mixed Schema"."tëst ""q"" Tab" ("Key Col" int PRIMARY KEY, "quote""d" text,
  "ÄÖÜ" text, "select" int);
INSERT INTO "Mixed Schema"."tëst ""q"" Tab" VALUES (1, 'a', 'ö', 1), (2, NULL, E'\t', NULL);

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
