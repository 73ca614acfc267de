#!/usr/bin/env bash
# sluice check against real PostgreSQL servers: each blocking and warning
# condition is set up and reported (text and --format json, parsed), the exit
# status says whether anything blocks, and nothing is created on either side
# (the catalogs are compared before and after every check).
. "$(dirname "$0")/common.sh"
: "${PG_THROWAWAY:?set by ctest}"

# catalog PORT DB: what a check must not change (slots, publications, schemas, relations).
catalog() {
  psql -X -At -p "$1" -d "$2" -c "
    SELECT 'slot', slot_name FROM pg_replication_slots
    UNION ALL SELECT 'pub', pubname FROM pg_publication
    UNION ALL SELECT 'schema', nspname FROM pg_namespace
    UNION ALL SELECT 'rel', n.nspname || '.' || c.relname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    ORDER BY 1, 2"
}

# run_check PIPELINE PORT DB EXPECTED_EXIT: sluice check, text and JSON; the catalog
# of PORT/DB is the same after both.
run_check() {
  local before rc=0
  before=$(catalog "$2" "$3")
  "$SLUICE" check "$1" > "${1%.lua}.txt" 2> "${1%.lua}.log" || rc=$?
  [ "$rc" = "$4" ] || { cat "${1%.lua}.txt" "${1%.lua}.log"; fail "$1: check exited $rc, expected $4"; }
  rc=0
  "$SLUICE" check --format json "$1" > "${1%.lua}.json" 2>> "${1%.lua}.log" || rc=$?
  [ "$rc" = "$4" ] || { cat "${1%.lua}.json" "${1%.lua}.log"; fail "$1: check --format json exited $rc, expected $4"; }
  [ "$(catalog "$2" "$3")" = "$before" ] || fail "$1: the check changed the catalog of port $2"
  [ ! -e .sluice ] || fail "$1: the check made a state directory"
}

# has JSON SEVERITY SCOPE 'message regex' ['detail regex']: the JSON output holds such a finding.
has() {
  python3 - "$@" <<'PY' || { cat "$1"; fail "$1: no $2 finding of $3 matching: $4 ${5:-}"; }
import json, re, sys
path, sev, scope, msg = sys.argv[1:5]
detail = sys.argv[5] if len(sys.argv) > 5 else None
found = json.load(open(path))
assert isinstance(found, list)
for f in found:
    assert set(f) == {"severity", "scope", "table", "message", "detail", "hint"}, f
ok = any(f["severity"] == sev and f["scope"] == scope and re.search(msg, f["message"])
         and (detail is None or re.search(detail, f["detail"] or "")) for f in found)
sys.exit(0 if ok else 1)
PY
}
# hasnt JSON 'message regex': no finding says that.
hasnt() {
  python3 -c 'import json, re, sys; sys.exit(any(re.search(sys.argv[2], f["message"]) for f in json.load(open(sys.argv[1]))))' "$1" "$2" ||
    fail "$1: a finding says: $2"
}

# ---- a second server: wal_level = replica ----
PORT2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
INST2="$WORK/inst2"
EXTRA_CLEANUP+=("bash '$PG_THROWAWAY' stop '$INST2'")
bash "$PG_THROWAWAY" start "$INST2" "$PORT2" "wal_level = replica" > /dev/null
psql -X -q -d postgres -p "$PORT2" -c "CREATE DATABASE src2" > /dev/null
psql -X -q -d src2 -p "$PORT2" -c "CREATE TABLE t (id int PRIMARY KEY, v text)" > /dev/null
CONNINFO_SAVED=$CONNINFO
CONNINFO="host=$PGHOST port=$PORT2 user=$PGUSER dbname=src2"
write_pipeline wal.lua full-load-and-cdc
run_check wal.lua "$PORT2" src2 10
has wal.json blocking source '^logical decoding requires wal_level "logical"$' 'has wal_level "replica"'
grep -q '^blocking: \[source\] logical decoding requires wal_level "logical"$' wal.txt ||
  fail "the text output lacks the wal_level finding"
grep -qxF "detail: Server \"$PGHOST:$PORT2\" has wal_level \"replica\"." wal.txt ||
  fail "the text output lacks the wal_level detail"
grep -qx '1 blocking, .*' wal.txt || fail "the text output does not count 1 blocking finding"
pass "wal_level replica: blocking, exit 10, nothing created"

# the same tables in mode full-load need no change capture: nothing blocks
write_pipeline full.lua full-load
run_check full.lua "$PORT2" src2 0
hasnt full.json 'wal_level'
has full.json info source '^table "public.t" takes '
pass "mode full-load does not ask for change capture's settings: exit 0"

# ---- too few slots and walsenders; slots that keep WAL ----
bash "$PG_THROWAWAY" start "$INST2" "$PORT2" "max_replication_slots = 2" "max_wal_senders = 1" > /dev/null
psql -X -q -d src2 -p "$PORT2" \
  -c "SELECT pg_create_logical_replication_slot('dummy_a', 'pgoutput')" \
  -c "SELECT pg_create_logical_replication_slot('dummy_b', 'test_decoding')" \
  -c "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g" > /dev/null
# dummy_b streams to pg_recvlogical: it holds the one walsender
pg_recvlogical -h "$PGHOST" -p "$PORT2" -U "$PGUSER" -d src2 -S dummy_b --start -f /dev/null &
BG_PIDS+=($!)
for _ in $(seq 100); do
  [ "$(psql -X -At -p "$PORT2" -d src2 -c "SELECT active FROM pg_replication_slots WHERE slot_name = 'dummy_b'")" = t ] && break
  sleep 0.1
done
write_pipeline slots.lua full-load-and-cdc
run_check slots.lua "$PORT2" src2 10
has slots.json blocking source '^all replication slots are in use$' 'max_replication_slots = 2, and 2 slots exist: dummy_a, dummy_b'
has slots.json blocking source '^no walsender is free for change capture$' 'max_wal_senders = 1, and 1 walsender is running'
has slots.json warning source '^inactive replication slot "dummy_a" retains .* of WAL$'
has slots.json info source '^active replication slot "dummy_b" retains '
pass "no free slot, no free walsender: blocking; an inactive slot retaining WAL: warning"
CONNINFO=$CONNINFO_SAVED

# ---- the test's own database on the shared server ----
q <<'SQL'
CREATE TABLE t1 (id int PRIMARY KEY, v text);
CREATE TABLE secret_t (id int PRIMARY KEY);
CREATE TABLE nokey (a int, b text);
CREATE TABLE docs (id int PRIMARY KEY, body bytea);
INSERT INTO docs SELECT g, decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), ''), 'hex')
  FROM generate_series(1, 50) g, generate_series(1, 20000) i GROUP BY g;
ANALYZE docs;
SQL
ROLE="chk_norep_$$"
EXTRA_CLEANUP+=("q -c 'DROP OWNED BY $ROLE' >/dev/null 2>&1; qpg -c 'DROP ROLE IF EXISTS $ROLE' >/dev/null")
qpg -c "CREATE ROLE $ROLE LOGIN" > /dev/null
q -c "GRANT SELECT ON t1, nokey, docs TO $ROLE" > /dev/null
CONNINFO="host=$PGHOST port=$PGPORT user=$ROLE dbname=$DB"
write_pipeline role.lua full-load-and-cdc
run_check role.lua "$PGPORT" "$DB" 10
has role.json blocking source "^role \"$ROLE\" lacks the REPLICATION attribute\$"
has role.json blocking source "^role \"$ROLE\" may not read table \"public.secret_t\"\$"
has role.json blocking source "^role \"$ROLE\" cannot add 4 selected tables to publication \"$PUB\"\$"
CONNINFO=$CONNINFO_SAVED
pass "a role without REPLICATION, SELECT or ownership: each blocking"

# a transaction holding an id, open in the background: a new slot would wait for it
q -c "CREATE TABLE busy (id int PRIMARY KEY)"
psql -X -q -d "$DB" -c "BEGIN" -c "INSERT INTO busy VALUES (1)" -c "SELECT pg_sleep(600)" > /dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 100); do
  [ -n "$(q -c "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")" ] && break
  sleep 0.1
done
BUSY_PID=$(q -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
[ -n "$BUSY_PID" ] || fail "the background transaction did not start"

# the target: schema tgt with a table that DROP_AND_CREATE would drop
q -c "CREATE SCHEMA tgt" -c "CREATE TABLE tgt.t1 (id int PRIMARY KEY)" -c "INSERT INTO tgt.t1 SELECT generate_series(1, 100)" -c "ANALYZE tgt.t1"
cat > main.lua <<LUA
return {
  name = "main", mode = "full-load-and-cdc",
  source = { plugin = "source-pg", conninfo = "$CONNINFO", slot = "$SLOT", publication = "$PUB" },
  target = { plugin = "sink-pg", conninfo = "$CONNINFO", schema = "tgt" },
  type_rules = { ["money"] = { error = "money is not wanted here" } },
}
LUA
q -c "CREATE TABLE cash (id int PRIMARY KEY, amount money)"
run_check main.lua "$PGPORT" "$DB" 10
has main.json blocking source '^table "public.nokey" has no primary key and no REPLICA IDENTITY FULL$' '^Its replica identity is DEFAULT'
has main.json warning mapping '^table "public.nokey" has no primary key$'
has main.json blocking mapping 'type rule "money": table "public.cash", column "amount" \(money\): money is not wanted here$'
has main.json warning source "^transaction of process $BUSY_PID has been open for " 'Creating the replication slot waits'
has main.json warning target '^target table "tgt.t1" exists and would be dropped and created again$' 'DROP_AND_CREATE.*about 100 rows'
has main.json info source '^column "body" of table "public.docs" \(bytea\) holds values of 200[0-9][0-9] bytes on average$' 'about 50 rows'
has main.json info target '^target server ".*" runs PostgreSQL 15'
python3 -c 'import json, sys; t = [f["table"] for f in json.load(open("main.json")) if f["scope"] == "mapping" and f["severity"] == "blocking"]; sys.exit(t != ["public.cash"])' ||
  fail "the mapping finding does not name its table"
pass "no replica identity, no key, a type without a rule, an open transaction, a table to be dropped, large values: reported"

sed -i 's/mode = "full-load-and-cdc"/mode = "full-load-and-cdc", settings = { TargetTablePrepMode = "TRUNCATE_BEFORE_LOAD" }/' main.lua
run_check main.lua "$PGPORT" "$DB" 10
has main.json warning target '^target table "tgt.t1" exists and would be truncated$' 'about 100 rows'
pass "TRUNCATE_BEFORE_LOAD: the table would be truncated"

# `sluice run` stops at the type without a rule before it creates a slot or a publication
rc=0
before=$(catalog "$PGPORT" "$DB")
timeout 60 "$SLUICE" run main.lua > run.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat run.log; fail "run exited $rc, expected 3 (the mapping refuses a type)"; }
grep -q 'type rule "money": table "public.cash", column "amount" (money): money is not wanted here' run.log ||
  { cat run.log; fail "run does not name the type without a rule"; }
[ "$(catalog "$PGPORT" "$DB")" = "$before" ] || fail "the refused run created something"
rm -rf .sluice
pass "run refuses the type without a rule before creating anything"

# fixed: nothing blocks, exit 0 (warnings remain)
kill -9 "${BG_PIDS[@]}" 2>/dev/null || true
q -c "DROP TABLE cash" -c "ALTER TABLE nokey REPLICA IDENTITY FULL"
sed -i 's/TRUNCATE_BEFORE_LOAD/DO_NOTHING/' main.lua
run_check main.lua "$PGPORT" "$DB" 0
has main.json info target '^target table "tgt.t1" exists and is kept$'
hasnt main.json 'REPLICA IDENTITY FULL'
grep -qx '0 blocking, .*' main.txt || fail "the text output does not count 0 blocking findings"
pass "once fixed, nothing blocks: exit 0"
finish
