#!/usr/bin/env bash
# Data masking (the AWS DMS data-masking rule-actions) PostgreSQL to PostgreSQL,
# written as Lua rules, by full load and by CDC:
# - data-masking-hash-mask on the key (text) and on an integer column widened
#   to varchar(64): upper-case hex SHA-256, compared with PostgreSQL's own
#   sha256() on the source; updates and deletes find rows by the hashed key.
# - data-masking-digits-mask: every digit becomes '#'.
# - data-masking-digits-randomize on text and on numeric: digits change, the
#   rest (length, punctuation, decimal point) stays.
# - sluice plan shows which columns are masked.
. "$(dirname "$0")/common.sh"

src -c 'CREATE TABLE customers (id text PRIMARY KEY, passport varchar(20), phone text,
                                code int, balance numeric(8,2), note text);
  INSERT INTO customers SELECT $$c-$$ || g, $$C6BGJ$$ || (566668 + g) || $$K$$,
         $$+49 (30) $$ || (1000000 + g * 7919), g, 1000 + g * 1234.56, $$plain $$ || g
    FROM generate_series(1, 50) g;
  INSERT INTO customers VALUES ($$c-null$$, NULL, NULL, NULL, NULL, $$no values$$),
                               ($$c-utf8$$, $$Straße 12, 東京 3$$, $$—$$, 0, NULL, $$x$$)'

cat > m.lua <<LUA
return {
  name = "m",
  mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "dbname=$SRC", slot = "$SLOT",
             publication = "$SLOT" },
  target = { plugin = "sink-pg", conninfo = "dbname=$TGT" },
  settings = { StatusIntervalMs = 100, FlushIntervalMs = 50 },
  mappings = {
    { rule = "include", schema = "public", table = "%" },
    { rule = "data-masking-hash-mask", schema = "public", table = "customers", column = "id" },
    { rule = "data-masking-digits-mask", schema = "public", table = "customers",
      column = "passport", value = "#" },
    { rule = "data-masking-digits-randomize", schema = "public", table = "customers",
      column = "phone" },
    { rule = "data-masking-digits-randomize", schema = "public", table = "customers",
      column = "balance" },
    { rule = "change-data-type", schema = "public", table = "customers", column = "code",
      data_type = "varchar(64)" },
    { rule = "data-masking-hash-mask", schema = "public", table = "customers", column = "code" },
  },
}
LUA

"$SLUICE" plan m.lua > plan.txt 2>&1 || { cat plan.txt; fail "sluice plan exited $?"; }
grep -Eq -- 'id +text +-> id +text +masked: data-masking-hash-mask$' plan.txt &&
  grep -Eq -- "passport +character varying\(20\) +-> passport +character varying\(20\) +masked: data-masking-digits-mask '#'" plan.txt &&
  grep -Eq -- 'code +integer +-> code +varchar\(64\) +masked: data-masking-hash-mask' plan.txt &&
  grep -Eq -- 'note +text +-> note +text$' plan.txt ||
  { cat plan.txt; fail "sluice plan does not show the masked columns"; }
pass "sluice plan shows each masked column and its rule-action"

# What the deterministic masks must give, computed by PostgreSQL from the source.
expected() {
  src -c "SELECT string_agg(concat_ws('|', upper(encode(sha256(convert_to(id, 'UTF8')), 'hex')),
                  coalesce(regexp_replace(passport, '[0-9]', '#', 'g'), 'NULL'),
                  coalesce(upper(encode(sha256(convert_to(code::text, 'UTF8')), 'hex')), 'NULL'),
                  coalesce(regexp_replace(phone, '[0-9]', 'D', 'g'), 'NULL'),
                  coalesce(regexp_replace(balance::text, '[0-9]', 'D', 'g'), 'NULL'), note),
                  E'\n' ORDER BY 1) FROM customers"
}
actual() {
  tgt -c "SELECT string_agg(concat_ws('|', id, coalesce(passport, 'NULL'), coalesce(code, 'NULL'),
                  coalesce(regexp_replace(phone, '[0-9]', 'D', 'g'), 'NULL'),
                  coalesce(regexp_replace(balance::text, '[0-9]', 'D', 'g'), 'NULL'), note),
                  E'\n' ORDER BY 1) FROM customers"
}
# Random digits: how many rows kept their source phone and balance (a phone has
# 10 or more digits, a balance 6 or more: a row keeps one once in a million runs),
# and how many rows the two sides have in common (by the hashed key).
kept_random() {
  src -F'|' -c "SELECT upper(encode(sha256(convert_to(id, 'UTF8')), 'hex')), phone, balance
                FROM customers" > source.txt
  tgt -F'|' -c "SELECT id, phone, balance FROM customers" > target.txt
  awk -F'|' 'NR == FNR { p[$1] = $2; b[$1] = $3; next }
             ($1 in p) { n++; kp += ($2 == p[$1] && $2 ~ /[0-9]/); kb += ($3 == b[$1] && $3 != "") }
             END { print kp + 0, kb + 0, n + 0 }' source.txt target.txt
}

"$SLUICE" run m.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"

cols=$(tgt -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
               FROM information_schema.columns WHERE table_name = 'customers'")
[ "$cols" = "id text, passport character varying, phone text, code character varying, balance numeric, note text" ] ||
  fail "columns of customers: $cols"
want=$(expected); got=$(actual)
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "full load: masked values differ"; }
[ "$(tgt -c "SELECT passport FROM customers WHERE note = 'x'")" = "Straße ##, 東京 #" ] ||
  fail "digits mask on UTF-8 text: $(tgt -c "SELECT passport FROM customers WHERE note = 'x'")"
[ "$(tgt -c "SELECT passport FROM customers WHERE note = 'plain 1'")" = "C#BGJ######K" ] ||
  fail "digits mask of the DMS example"
kept=$(kept_random)
[ "$kept" = "0 0 52" ] || fail "random digits kept source values (phones, balances, rows): $kept"
pass "full load: keys and codes hashed as sha256() computes them, digits masked, random digits in place"

src -c "INSERT INTO customers VALUES ('c-new', 'P123', '555-0101', 77, 4321.25, 'inserted');
        UPDATE customers SET passport = 'Z9', note = 'updated', phone = '1-234-567-8901' WHERE id = 'c-2';
        UPDATE customers SET id = 'c-3-renamed', note = 'key changed' WHERE id = 'c-3';
        DELETE FROM customers WHERE id IN ('c-4', 'c-null');
        UPDATE customers SET balance = 999999.99 WHERE id = 'c-5';
        INSERT INTO customers VALUES ('c-last', NULL, NULL, NULL, NULL, 'last')"
for _ in $(seq 300); do [ "$(tgt -c "SELECT count(*) FROM customers WHERE note = 'last'")" = 1 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "sluice exited $?"

want=$(expected); got=$(actual)
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "CDC: masked values differ"; }
! grep -q "found no row" run.log || { grep "found no row" run.log >&2; fail "an update or delete missed its row"; }
[ "$(tgt -c "SELECT count(*) FROM customers")" = "$(src -c "SELECT count(*) FROM customers")" ] ||
  fail "row counts differ after CDC"
kept=$(kept_random)
[ "$kept" = "0 0 52" ] || fail "random digits kept source values after CDC: $kept"
pass "CDC: inserts masked, updates and deletes (a key change too) found their rows by the hashed key"
finish
