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
. "$(dirname "$0")/types_common.sh"

create_types_table
write_columns

write_pipeline types.lua full-load "" "" "$TYPE_RULES"
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
compare_types 4
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
