#!/usr/bin/env bash
# Test 3: each missing prerequisite of change capture stops the run with its own
# exact error (message, detail, hint), and leaves no slot or publication behind.
. "$(dirname "$0")/common.sh"
: "${PG_THROWAWAY:?set by ctest}"

# expect_error PIPELINE 'message' 'detail' 'hint': the run fails with exit 5 and says exactly that.
expect_error() {
  local rc=0
  "$SLUICE" run "$1" > "${1%.lua}.log" 2>&1 || rc=$?
  [ "$rc" = 5 ] || { cat "${1%.lua}.log"; fail "$1: exit $rc, expected 5 (source failed)"; }
  grep -q "^error: .*: $2\$" "${1%.lua}.log" || { cat "${1%.lua}.log"; fail "$1: message is not: $2"; }
  grep -qxF "detail: $3" "${1%.lua}.log" || { cat "${1%.lua}.log"; fail "$1: detail is not: $3"; }
  grep -qxF "hint: $4" "${1%.lua}.log" || { cat "${1%.lua}.log"; fail "$1: hint is not: $4"; }
}

# nothing_left [psql args]: no slot and no publication of ours exists.
nothing_left() {
  local n
  n=$(psql -X -At -d postgres "$@" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")
  [ "$n" = 0 ] || fail "a replication slot was left behind"
  n=$(psql -X -At "$@" -c "SELECT count(*) FROM pg_publication WHERE pubname = '$PUB'")
  [ "$n" = 0 ] || fail "a publication was left behind"
}

# ---- a second server: wal_level = replica, then too few slots ----
# a free port, not a fixed offset: another tree's server may hold PGPORT + 100
PORT2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
INST2="$WORK/inst2"
EXTRA_CLEANUP+=("bash '$PG_THROWAWAY' stop '$INST2'")
bash "$PG_THROWAWAY" start "$INST2" "$PORT2" "wal_level = replica" > /dev/null
psql -X -q -d postgres -p "$PORT2" -c "CREATE DATABASE src2" \
  -c "SELECT 1" > /dev/null
psql -X -q -d src2 -p "$PORT2" -c "CREATE TABLE t (id int PRIMARY KEY)" > /dev/null
CONNINFO2="host=$PGHOST port=$PORT2 user=$PGUSER dbname=src2"

CONNINFO_SAVED=$CONNINFO
CONNINFO=$CONNINFO2
write_pipeline wal.lua full-load-and-cdc
expect_error wal.lua 'logical decoding requires wal_level "logical"' \
  "Server \"$PGHOST:$PORT2\" has wal_level \"replica\"." \
  'Set wal_level = logical in postgresql.conf and restart the server.'
nothing_left -p "$PORT2" -d src2
pass "wal_level replica: the exact error, nothing created"

bash "$PG_THROWAWAY" start "$INST2" "$PORT2" "max_replication_slots = 2" > /dev/null
psql -X -q -d src2 -p "$PORT2" \
  -c "SELECT pg_create_logical_replication_slot('dummy_a', 'pgoutput')" \
  -c "SELECT pg_create_logical_replication_slot('dummy_b', 'pgoutput')" > /dev/null
write_pipeline slots.lua full-load-and-cdc
expect_error slots.lua 'all replication slots are in use' \
  "Server \"$PGHOST:$PORT2\" has max_replication_slots = 2, and 2 slots exist: dummy_a, dummy_b." \
  "Drop a slot that is no longer needed with SELECT pg_drop_replication_slot('name'), or raise max_replication_slots in postgresql.conf and restart the server."
nothing_left -p "$PORT2" -d src2
pass "no free replication slot: the exact error, nothing created"
CONNINFO=$CONNINFO_SAVED

# ---- the test's own database on the shared server ----
q <<'SQL'
CREATE TABLE t1 (id int PRIMARY KEY, v text);
CREATE TABLE t2 (id int PRIMARY KEY, v text);
CREATE SCHEMA keyless_s;
CREATE TABLE keyless_s.fine (id int PRIMARY KEY);
CREATE TABLE keyless_s.nokey (a int, b text);
CREATE TABLE keyless_s."Other" (a int);
ALTER TABLE keyless_s."Other" REPLICA IDENTITY NOTHING;
CREATE SCHEMA parted;
CREATE TABLE parted.p (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE parted.p1 PARTITION OF parted.p FOR VALUES FROM (0) TO (10);
SQL

ROLE="src_norep_$$"
EXTRA_CLEANUP+=("qpg -c 'DROP ROLE IF EXISTS $ROLE' >/dev/null")
qpg -c "CREATE ROLE $ROLE LOGIN" > /dev/null
CONNINFO="host=$PGHOST port=$PGPORT user=$ROLE dbname=$DB"
write_pipeline role.lua full-load-and-cdc
expect_error role.lua "role \"$ROLE\" lacks the REPLICATION attribute" \
  "Change capture reads the log of server \"$PGHOST:$PGPORT\" through a replication slot, which only superusers and roles with the REPLICATION attribute may use." \
  "As a superuser, run ALTER ROLE $ROLE WITH REPLICATION, or connect as a role that has it."
CONNINFO=$CONNINFO_SAVED
nothing_left -d "$DB"
pass "role without REPLICATION: the exact error, nothing created"

write_pipeline keyless.lua full-load-and-cdc "schemas = 'keyless_s'"
expect_error keyless.lua 'table "keyless_s.Other" has no primary key and no REPLICA IDENTITY FULL' \
  'Its replica identity is NOTHING, so the log would not say which row an UPDATE or DELETE changed, and PostgreSQL refuses those statements on a published table without one. 1 more table has the same problem: "keyless_s.nokey".' \
  'Add a primary key to the table, or run ALTER TABLE keyless_s."Other" REPLICA IDENTITY FULL.'
nothing_left -d "$DB"
write_pipeline parted.lua full-load-and-cdc "schemas = 'parted'"
expect_error parted.lua 'table "parted.p1" has no primary key and no REPLICA IDENTITY FULL' \
  'Its replica identity is DEFAULT (the primary key), so the log would not say which row an UPDATE or DELETE changed, and PostgreSQL refuses those statements on a published table without one.' \
  'Add a primary key to the table, or run ALTER TABLE parted.p1 REPLICA IDENTITY FULL.'
nothing_left -d "$DB"
pass "tables without a replica identity (and a keyless partition): the exact error, nothing created"

q -c "CREATE PUBLICATION userpub FOR TABLE t1"
write_pipeline pub.lua full-load-and-cdc "publication = 'userpub'"
sed -i "s/publication = \"$PUB\", //" pub.lua
expect_error pub.lua 'publication "userpub" does not include table "public.t2"' \
  'The publication exists and sluice did not create it, so sluice uses it as it is; the changes of the table would be lost.' \
  'Run ALTER PUBLICATION userpub ADD TABLE public.t2, or set option publication to a name sluice may create.'
[ "$(q -c "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'userpub'")" = 1 ] ||
  fail "the user's publication was changed"
nothing_left -d "$DB"
q -c "CREATE PUBLICATION userpub2 FOR TABLE t1, t2 WITH (publish = 'insert, update')"
write_pipeline pub2.lua full-load-and-cdc "publication = 'userpub2'"
sed -i "s/publication = \"$PUB\", //" pub2.lua
expect_error pub2.lua 'publication "userpub2" does not publish every kind of change' \
  'It leaves out: delete, truncate. Those changes would be lost.' \
  "Run ALTER PUBLICATION userpub2 SET (publish = 'insert, update, delete, truncate')."
nothing_left -d "$DB"
pass "a user's publication that lacks a table or an operation: the exact error, left as it was"

# Fixed, the same pipeline runs, and uses the user's publication as it is.
q -c "ALTER PUBLICATION userpub ADD TABLE t2" -c "INSERT INTO t2 VALUES (1, 'one')"
until_lsn=$(insert_lsn)
sed -i 's/publication = .userpub.,/publication = "userpub", heartbeat_interval_ms = 100,/' pub.lua
timeout 60 "$SLUICE" run pub.lua --until "$until_lsn" > pub-ok.log 2>&1 ||
  { cat pub-ok.log; fail "the fixed pipeline failed"; }
grep -aq $'^S\tpublic.t2\t1\tone$' pub.journal || fail "the fixed pipeline did not load t2"
[ "$(q -c "SELECT count(*) FROM pg_publication WHERE pubname = 'userpub'")" = 1 ] ||
  fail "the user's publication is gone"
pass "once fixed, the pipeline runs on the user's publication"
finish
