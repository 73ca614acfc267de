#!/usr/bin/env bash
# sluice validate across engines, MariaDB to PostgreSQL: after a full load of the
# table with every MySQL / MariaDB type (types_common.sh, mysql_to_pg type rules),
# validate compares each value in its canonical form after the type rules, not
# its MariaDB spelling, and finds them all equal; a value changed at the target
# is then found with its key and column, a row deleted there with its key, and
# --repair puts both back. A second, larger table is cut into key-range chunks
# by the source and compared with parallel chunks.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/types_common.sh"

create_types_table
write_columns
my "$DB" -e "CREATE TABLE big (id bigint PRIMARY KEY, amount decimal(12,2), at datetime(3), note varchar(40));
  INSERT INTO big SELECT seq, seq / 7, '2024-01-01 00:00:00' + INTERVAL seq SECOND, CONCAT('note ', seq)
    FROM seq_1_to_3000"
write_pipeline types.lua full-load "" "" "$TYPE_RULES"
"$SLUICE" run types.lua > run.log 2>&1 || fail "sluice run failed (see run.log)"

validate() { "$SLUICE" validate "$@" types.lua > out.txt 2> err.txt; echo $?; }

rc=$(validate --format json --chunk-rows 500 --jobs 2)
[ "$rc" = 0 ] || fail "every type after the full load: exit $rc: $(cat out.txt err.txt)"
python3 - out.txt <<'PY' || fail "every type: $(cat out.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {x["source"].split(".")[1]: x for x in doc["tables"]}
assert t["ty"]["state"] == "match" and t["ty"]["source_rows"] == 4 == t["ty"]["target_rows"], t["ty"]
assert t["big"]["state"] == "match" and t["big"]["target_rows"] == 3000, t["big"]
assert t["big"]["chunks"] == 6, t["big"]["chunks"]  # 3000 rows by 500, cut by MariaDB
assert t["ty"]["chunks_hashed"] == 0  # across engines: compared value by value
PY
pass "every MariaDB type matches in canonical form after the type rules ($(wc -l < columns.txt) columns); 6 key-range chunks"

tgt -c "UPDATE \"$DB\".ty SET vc = 'changed at the target', js = '{\"k\": [1, 2.5, \"ü\"], \"n\": 0}' WHERE id = 2;
        UPDATE \"$DB\".ty SET d182 = 0.02, ts = ts + interval '1 microsecond', b = false,
          dbl = 0.3 WHERE id = 4;
        DELETE FROM \"$DB\".big WHERE id = 1234"
rc=$(validate --format json --rechecks 1 --recheck-wait 50 --chunk-rows 500)
[ "$rc" = 10 ] || fail "changed at the target: exit $rc: $(cat out.txt err.txt)"
python3 - out.txt <<'PY' || fail "changed at the target: $(cat out.txt)"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {x["source"].split(".")[1]: x for x in doc["tables"]}
got = sorted((m["key"]["id"], m["kind"], tuple(m["columns"])) for m in t["ty"]["mismatches"])
assert got == [("2", "differs", ("vc", "js")), ("4", "differs", ("b", "d182", "dbl", "ts"))], got
got = [(m["key"]["id"], m["kind"]) for m in t["big"]["mismatches"]]
assert got == [("1234", "missing")], got
PY
pass "values changed (text, JSON, boolean, decimal, double, timestamp) and a row deleted at the target are found with their keys and columns"

rc=$(validate --repair --rechecks 0)
[ "$rc" = 0 ] || fail "--repair: exit $rc: $(cat out.txt err.txt)"
rc=$(validate)
[ "$rc" = 0 ] || fail "validate after --repair: exit $rc: $(cat out.txt err.txt)"
compare_types 4
pass "--repair rewrites them from MariaDB through the type rules; validate and a value-by-value check agree"
finish
