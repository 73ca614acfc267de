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
