# The type table shared by the source-mysql type tests (full load and CDC):
# table ty with one column of every MySQL / MariaDB type and 4 rows of edge
# values, columns.txt (column | MariaDB expression giving PostgreSQL's input
# text | PostgreSQL type), and compare_types, which compares every value of
# every column at the target with MariaDB's own text of it.

# create_types_table: table ty in $DB with rows 1 to 4.
create_types_table() {
my "$DB" <<'SQL'
SET sql_mode = '';
CREATE TABLE ty (
  id int PRIMARY KEY,
  b tinyint(1), ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,
  mi mediumint, miu mediumint unsigned, i int, iu int unsigned, bi bigint, biu bigint unsigned,
  d65 decimal(65,30), d182 decimal(18,2), f float, dbl double,
  bit1 bit(1), bit64 bit(64), yr year, dt date, tm time, tm3 time(3), dtm datetime(6),
  ts timestamp(6) NULL,
  c char(10), vc varchar(100), tx text,
  l1 varchar(50) CHARACTER SET latin1, l1t text CHARACTER SET latin1,
  bn binary(4), vb varbinary(20), bl blob,
  en enum('a','b','c d'), st set('x','y','z'), js json, u uuid, ip inet6, g geometry
) CHARACTER SET utf8mb4;
SET time_zone = '+00:00';
INSERT INTO ty VALUES
 (1, 0, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  '-99999999999999999999999999999999999.999999999999999999999999999999', -9999999999999999.99,
  -1.5, -2.2250738585072014e-308, b'0', b'0', 1901, '1000-01-01', '-838:59:59', '-838:59:59.999',
  '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000',
  '', '', '', 'café', 'Ünïcödé ßæ', x'00000000', '', '', 'a', '', '{}',
  '00000000-0000-0000-0000-000000000000', '::', ST_GeomFromText('POINT(0 0)')),
 (2, 1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  '99999999999999999999999999999999999.999999999999999999999999999999', 9999999999999999.99,
  3.5, 1.7976931348623157e308, b'1', x'FFFFFFFFFFFFFFFF', 2155, '9999-12-31', '838:59:59',
  '838:59:59.999', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999',
  'abc', '😀 emoji 𝄞 ✓', 'tab\there\nnew line \\ backslash \'quote\' "dq"', 'Ærøskøbing', '¡Olé! ÿ',
  x'DEADBEEF', x'00FF00', x'000102FF0A09', 'c d', 'x,z', '{"k": [1, 2.5, "ü"], "n": null}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::ffff:192.0.2.1',
  ST_GeomFromText('LINESTRING(0 0, 1 1)')),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, '0.000000000000000000000000000001', 0.01, 0.1,
  0.30000000000000004, b'1', x'8000000000000001', 2024, '2024-02-29', '-00:00:01', '12:34:56.789',
  '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.654321',
  'ñ', '𠜎𠜱 漢字 éè', 'NULL', '', '', x'00000001', x'00', x'00', 'b', 'x,y,z',
  '[1, "a", true, null]', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2001:db8::1',
  ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'));
SQL
}

# write_columns: columns.txt in the working folder.
write_columns() {
# column | MariaDB expression giving PostgreSQL's input text of the value | PostgreSQL type
cat > columns.txt <<'EOF2'
b|IF(b IS NULL, NULL, IF(b, 'true', 'false'))|boolean
ti|ti|smallint
tiu|tiu|smallint
si|si|smallint
siu|siu|integer
mi|mi|integer
miu|miu|integer
i|i|integer
iu|iu|bigint
bi|bi|bigint
biu|biu|numeric(20,0)
d65|d65|numeric(65,30)
d182|d182|numeric(18,2)
f|f|real
dbl|dbl|double precision
bit1|LPAD(BIN(bit1), 1, '0')|bit(1)
bit64|LPAD(BIN(bit64), 64, '0')|bit(64)
yr|yr|smallint
dt|dt|date
tm|tm|interval
tm3|tm3|interval
dtm|dtm|timestamp(6) without time zone
ts|CONCAT(ts, '+00')|timestamp(6) with time zone
c|c|character(10)
vc|vc|character varying(100)
tx|tx|text
l1|l1|character varying(50)
l1t|l1t|text
bn|CONCAT('\\x', HEX(bn))|bytea
vb|CONCAT('\\x', HEX(vb))|bytea
bl|CONCAT('\\x', HEX(bl))|bytea
en|en|text
st|CONCAT('{', st, '}')|text[]
js|js|jsonb
u|u|uuid
ip|ip|inet
g|CONCAT('\\x', HEX(g))|bytea
EOF2
}

# TYPE_RULES: the type rules the type tests run with.
TYPE_RULES='type_rules = {
    ["time"] = { type = "interval" }, ["time({fsp})"] = { type = "interval" },
    ["geometry"] = { type = "bytea" },
  },'

# compare_types NROWS: every value of "$DB".ty at the target equals MariaDB's (NROWS rows).
compare_types() {
  local n=$1 sel="id" col expr type cols bad=0 diff
  while IFS='|' read -r col expr type; do
    sel="$sel, HEX(CONVERT(CAST($expr AS CHAR) USING utf8mb4))"
  done < columns.txt
  my "$DB" -e "SET time_zone = '+00:00'; SELECT $sel FROM ty ORDER BY id" > expected.tsv
  [ "$(wc -l < expected.tsv)" = "$n" ] || fail "expected $n source rows, MariaDB has $(wc -l < expected.tsv)"
  cols=$(cut -d'|' -f1 columns.txt | sed 's/$/ text/' | paste -sd, -)
  tgt -c "DROP TABLE IF EXISTS expected; CREATE TABLE expected (id int, $cols)"
  tgt -c "\\copy expected FROM 'expected.tsv' WITH (NULL 'NULL')"
  [ "$(tgt -c "SELECT count(*) FROM \"$DB\".ty")" = "$n" ] ||
    fail "the target has $(tgt -c "SELECT count(*) FROM \"$DB\".ty") rows, not $n"
  while IFS='|' read -r col expr type; do
    diff=$(tgt -c "SELECT coalesce(t.id, e.id) || ': got ' || coalesce(t.$col::text, 'NULL') || ', expected ' ||
                     coalesce(convert_from(decode(e.$col, 'hex'), 'UTF8'), 'NULL')
                   FROM \"$DB\".ty t FULL JOIN expected e USING (id)
                   WHERE t.$col IS DISTINCT FROM convert_from(decode(e.$col, 'hex'), 'UTF8')::$type
                      OR t.id IS NULL OR e.id IS NULL")
    if [ -n "$diff" ]; then echo "column $col: $diff" >&2; bad=1; fi
  done < columns.txt
  [ $bad = 0 ] || fail "values differ (see above)"
}
