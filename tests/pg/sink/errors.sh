#!/usr/bin/env bash
# What a user sees when the target says no: an unreachable server, a conninfo
# libpq cannot parse, a missing database, missing privileges and a rejected
# row. Each is one clear error with the exit code of a target failure, and the
# password in conninfo appears nowhere: not in the output, not in the status.
. "$(dirname "$0")/common.sh"
make_db errors

secret=TopSecretPw42
no_secret() { # no_secret FILES...: the password is in none of them
  ! grep -rq -e "$secret" -e "Top%zz" "$@" .sluice 2>/dev/null || fail "the password leaked into $*"
}
run_expect() { # run_expect CODE LOG PIPELINE
  local rc=0
  "$SLUICE" run "$3" > "$2" 2>&1 || rc=$?
  [ "$rc" = "$1" ] || { cat "$2"; fail "$3 exited $rc, expected $1"; }
}
pipeline() { # pipeline FILE CONNINFO [SETTINGS]
  cat > "$1" <<LUA
return {
  mode = "full-load",
  source = { plugin = "generator", tables = 2, rows = 100 },
  target = { plugin = "sink-pg", conninfo = "$2" },
  settings = { RetryLimit = 2, ${3:-} },
}
LUA
}

pipeline port.lua "host=127.0.0.1 port=1 dbname=$DB user=postgres password=$secret connect_timeout=3"
run_expect 6 port.log port.lua
grep -q "could not connect to the target database \"$DB\" at 127.0.0.1:1" port.log &&
  grep -q "Connection refused" port.log && grep -q "hint: Check that the target server is running" port.log ||
  { cat port.log; fail "unreachable server: unclear message"; }
no_secret port.log
pass "unreachable target: exit 6, server named by host and port, password nowhere"

pipeline uri.lua "postgresql://postgres:Top%zz$secret@[::1/$DB"
run_expect 6 uri.log uri.lua
grep -q 'invalid value for option "conninfo"' uri.log || { cat uri.log; fail "bad URI: unclear message"; }
no_secret uri.log
pass "unparsable conninfo: exit 6, libpq's message with the quoted text hidden"

pipeline nodb.lua "dbname=sinktest_no_such_db password=$secret"
run_expect 6 nodb.log nodb.lua
grep -q 'database "sinktest_no_such_db" does not exist' nodb.log &&
  grep -q "hint: Check dbname and user" nodb.log || { cat nodb.log; fail "missing database: unclear message"; }
! grep -q "transient failure" nodb.log || fail "a missing database was retried"
no_secret nodb.log
pass "missing database: exit 6 at once, no retries"

sql "DROP ROLE IF EXISTS sinktest_loader; CREATE ROLE sinktest_loader LOGIN;
     REVOKE CREATE ON SCHEMA public FROM PUBLIC"
pipeline priv.lua "dbname=$DB user=sinktest_loader password=$secret"
run_expect 6 priv.log priv.lua
grep -q 'could not create schema "sluice": permission denied for database' priv.log &&
  grep -q 'hint: Grant the target user the privilege it lacks' priv.log ||
  { cat priv.log; fail "missing privilege: unclear message"; }
no_secret priv.log
sql "DROP ROLE sinktest_loader"
pass "missing privileges: the server's message and a hint about GRANT"

# A row the target rejects: gen.t1 exists with a CHECK the generator's data breaks.
sql "CREATE SCHEMA gen;
     CREATE TABLE gen.t1 (id bigint PRIMARY KEY, n1 bigint NOT NULL CONSTRAINT n1_positive CHECK (n1 > 0),
                          s1 text NOT NULL, n2 bigint)"
pipeline reject.lua "dbname=$DB password=$secret" 'TargetTablePrepMode = "DO_NOTHING"'
run_expect 8 reject.log reject.lua
grep -q 'could not copy rows into table "gen.t1": new row for relation "t1" violates check constraint "n1_positive"' reject.log &&
  grep -q 'detail: Failing row contains (.*COPY t1, line [0-9]*: ' reject.log &&
  grep -q 'SQLSTATE 23514' reject.log && grep -q 'hint: The row breaks a CHECK constraint' reject.log ||
  { cat reject.log; fail "rejected row: unclear message"; }
grep -q 'full load: table "gen.t2" loaded' reject.log || fail "the other table did not load"
[ "$(sql "SELECT count(*) FROM gen.t1")" = 0 ] || fail "a failed load left rows behind"
no_secret reject.log
pass "a rejected row fails its table with the server's message, COPY line and a hint; others load"
finish
