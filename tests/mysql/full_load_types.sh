#!/usr/bin/env bash
# Every MySQL / MariaDB type into PostgreSQL by full load (source-mysql into
# sink-pg through `sluice run`, mysql_to_pg type rules), compared value by
# value: integer edges (unsigned BIGINT max), DECIMAL(65,30), FLOAT, DOUBLE,
# BIT(1)/BIT(64), YEAR, DATE, TIME (negative, fractional), DATETIME(6),
# TIMESTAMP(6), utf8mb4 text with 4-byte characters, latin1 text, binary
# types, ENUM, SET, JSON, UUID, INET6, GEOMETRY, empty strings next to NULLs.
# The expected values come from MariaDB itself (its own text of each value,
# carried hex-encoded so no client escaping can blur them), and PostgreSQL
# compares each with the loaded value in the target column's type.
# Zero dates are loaded under each policy: null, a date, error.
. "$(dirname "$0")/common.sh"

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

write_pipeline types.lua full-load "" "" 'type_rules = {
    ["time"] = { type = "interval" }, ["time({fsp})"] = { type = "interval" },
    ["geometry"] = { type = "bytea" },
  },'
"$SLUICE" run types.lua > run.log 2>&1 || fail "sluice run failed"
pass "full load of every type ran"

# the target's column types are the type rules' choices
while IFS='|' read -r col expr type; do
  got=$(tgt -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = '\"$DB\".ty'::regclass AND attname = '$col'")
  [ "$got" = "$type" ] || fail "column $col is $got at the target, not $type"
done < columns.txt
pass "every target column has the type rules' type"

# the expected values, from MariaDB, hex-encoded UTF-8 (NULL stays NULL)
sel="id"
while IFS='|' read -r col expr type; do
  sel="$sel, HEX(CONVERT(CAST($expr AS CHAR) USING utf8mb4))"
done < columns.txt
my "$DB" -e "SET time_zone = '+00:00'; SELECT $sel FROM ty ORDER BY id" > expected.tsv
[ "$(wc -l < expected.tsv)" = 4 ] || fail "expected 4 source rows"
cols=$(cut -d'|' -f1 columns.txt | sed 's/$/ text/' | paste -sd, -)
tgt -c "CREATE TABLE expected (id int, $cols)"
tgt -c "\\copy expected FROM 'expected.tsv' WITH (NULL 'NULL')"
[ "$(tgt -c "SELECT count(*) FROM \"$DB\".ty")" = 4 ] || fail "the target has not 4 rows"
bad=0
while IFS='|' read -r col expr type; do
  diff=$(tgt -c "SELECT t.id || ': got ' || coalesce(t.$col::text, 'NULL') || ', expected ' ||
                   coalesce(convert_from(decode(e.$col, 'hex'), 'UTF8'), 'NULL')
                 FROM \"$DB\".ty t FULL JOIN expected e USING (id)
                 WHERE t.$col IS DISTINCT FROM convert_from(decode(e.$col, 'hex'), 'UTF8')::$type")
  if [ -n "$diff" ]; then echo "column $col: $diff" >&2; bad=1; fi
done < columns.txt
[ $bad = 0 ] || fail "values differ (see above)"
pass "every value of every column equals MariaDB's ($(wc -l < columns.txt) columns, 4 rows)"

# spot checks against literal values, independent of MariaDB's printing
[ "$(tgt -c "SELECT biu, iu, tiu FROM \"$DB\".ty WHERE id = 2")" = "18446744073709551615|4294967295|255" ] ||
  fail "unsigned maxima"
[ "$(tgt -c "SELECT tm, tm3 FROM \"$DB\".ty WHERE id = 1")" = "-838:59:59|-838:59:59.999" ] ||
  fail "negative TIME: $(tgt -c "SELECT tm, tm3 FROM \"$DB\".ty WHERE id = 1")"
[ "$(tgt -c "SELECT vc, length(vc) FROM \"$DB\".ty WHERE id = 2")" = "😀 emoji 𝄞 ✓|11" ] || fail "4-byte UTF-8"
[ "$(tgt -c "SELECT l1, l1t FROM \"$DB\".ty WHERE id = 2")" = "Ærøskøbing|¡Olé! ÿ" ] || fail "latin1 text"
[ "$(tgt -c "SELECT vc IS NULL, vc = '', tx IS NULL, tx FROM \"$DB\".ty WHERE id IN (1, 3, 4) ORDER BY id" | paste -sd' ')" = "f|t|f| t||t| f|f|f|NULL" ] ||
  fail "empty strings and NULLs: $(tgt -c "SELECT vc IS NULL, vc = '', tx IS NULL, tx FROM \"$DB\".ty WHERE id IN (1, 3, 4) ORDER BY id" | paste -sd' ')"
[ "$(tgt -c "SELECT bit64, b FROM \"$DB\".ty WHERE id = 4")" = "1000000000000000000000000000000000000000000000000000000000000001|t" ] ||
  fail "BIT(64)"
[ "$(tgt -c "SELECT d65 FROM \"$DB\".ty WHERE id = 4")" = "0.000000000000000000000000000001" ] || fail "DECIMAL(65,30)"
[ "$(tgt -c "SELECT st FROM \"$DB\".ty WHERE id = 1")" = "{}" ] || fail "empty SET"
pass "literal spot checks: unsigned maxima, negative TIME, 4-byte UTF-8, latin1, '' vs NULL, BIT(64), DECIMAL(65,30)"

# zero dates under each policy
my -e "CREATE DATABASE \`${DB}_zd\`"
my "${DB}_zd" -e "SET sql_mode = '';
  CREATE TABLE zd (id int PRIMARY KEY, d date, dt datetime, dt6 datetime(6));
  INSERT INTO zd VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000'),
    (2, '2020-00-15', '2020-05-00 10:00:00', '0000-01-01 00:00:00.5'),
    (3, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05.123456')"
zd() { tgt -c "SELECT id, coalesce(d::text, 'NULL'), coalesce(dt::text, 'NULL'), coalesce(dt6::text, 'NULL')
               FROM \"${DB}_zd\".zd ORDER BY id" | paste -sd' '; }
SRC_DBS="${DB}_zd" write_pipeline zd_null.lua full-load
"$SLUICE" run zd_null.lua > run.log 2>&1 || fail "zero dates (null): sluice run failed"
[ "$(zd)" = "1|NULL|NULL|NULL 2|NULL|NULL|NULL 3|2024-01-02|2024-01-02 03:04:05|2024-01-02 03:04:05.123456" ] ||
  fail "zero dates (null): $(zd)"
pass "zero dates, policy null (the default): NULL"
SRC_DBS="${DB}_zd" write_pipeline zd_date.lua full-load "" "" 'type_rules = {
    ["date"] = { type = "date", zero_date = "1970-01-01" },
    ["datetime"] = { type = "timestamp", zero_date = "1970-01-01 00:00:00" },
    ["datetime({fsp})"] = { type = "timestamp({fsp})", zero_date = "1970-01-01 00:00:00" },
  },'
"$SLUICE" run zd_date.lua > run.log 2>&1 || fail "zero dates (date): sluice run failed"
[ "$(zd)" = "1|1970-01-01|1970-01-01 00:00:00|1970-01-01 00:00:00 2|1970-01-01|1970-01-01 00:00:00|1970-01-01 00:00:00 3|2024-01-02|2024-01-02 03:04:05|2024-01-02 03:04:05.123456" ] ||
  fail "zero dates (date): $(zd)"
pass "zero dates, policy a date: replaced"
SRC_DBS="${DB}_zd" write_pipeline zd_error.lua full-load "" "" 'type_rules = {
    ["date"] = { type = "date", zero_date = "error" },
  },'
rc=0; "$SLUICE" run zd_error.lua > run.log 2>&1 || rc=$?
[ $rc = 8 ] || { cat run.log >&2; fail "zero dates (error): exit $rc, not 8 (table errors)"; }
grep -q 'is a zero date (value policy zero_date = "error")' run.log || { cat run.log >&2; fail "zero dates (error): no message"; }
pass "zero dates, policy error: the table fails with the value named"
finish
