#!/usr/bin/env bash
# Every wrong prerequisite of change capture gives its own error (message,
# detail, hint), checked on a second MariaDB server of this test's own, so
# the global settings it changes touch no other test: the binary log off, a
# STATEMENT format, a MINIMAL row image, MINIMAL row metadata, a clashing
# server id, missing privileges, a short binlog retention. With everything
# right, cdc-only streams from the current position; the full load still runs
# on a server without a binary log; and a checkpoint position whose binlog
# file was purged while sluice was stopped fails clearly, never jumps ahead.
. "$(dirname "$0")/common.sh"
: "${MY_THROWAWAY:?set by ctest}"
PORT2=$(free_port)
DIR2="$WORK/server2"
EXTRA_CLEANUP+=("bash '$MY_THROWAWAY' stop '$DIR2'")
my2() { MY_PORT_OVERRIDE=$PORT2 my "$@"; }

bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" "skip-log-bin" > /dev/null
my2 -e "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v varchar(10));
        INSERT INTO shop.t VALUES (1, 'a'), (2, NULL)"

# expect_error NAME MESSAGE HINT-FRAGMENT [pipeline args...]: sluice run fails with them.
expect_error() {
  local name=$1 message=$2 hint=$3
  shift 3
  SRC_PORT=$PORT2 SRC_DBS=shop write_pipeline "$name.lua" full-load-and-cdc "" "$@"
  if "$SLUICE" run "$name.lua" > run.log 2>&1; then
    cat run.log >&2; fail "$name: sluice run succeeded"
  fi
  grep -qF -- ": $message" run.log || { cat run.log >&2; fail "$name: no \"$message\""; }
  grep -q "^detail: " run.log || { cat run.log >&2; fail "$name: no detail"; }
  grep -q "^hint: .*$hint" run.log || { cat run.log >&2; fail "$name: no hint with \"$hint\""; }
  pass "$name: $message"
}

expect_error binlog_off 'change capture requires the binary log' 'log_bin = binlog'

# the full load needs no binary log
SRC_PORT=$PORT2 SRC_DBS=shop write_pipeline fl.lua full-load
"$SLUICE" run fl.lua > run.log 2>&1 || fail "full load without a binary log failed"
[ "$(tgt -c 'SELECT count(*), count(v) FROM shop.t')" = "2|1" ] || fail "full load rows differ"
grep -q "snapshot at binlog position none" run.log || fail "no 'position none' in the log"
pass "full load without a binary log: rows loaded, no position"

bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" > /dev/null  # with the binary log now
my2 -e "SET GLOBAL binlog_format = 'STATEMENT'"
expect_error statement 'change capture requires binlog_format "ROW"' "SET GLOBAL binlog_format = 'ROW'"
my2 -e "SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_image = 'MINIMAL'"
expect_error minimal_image 'change capture requires binlog_row_image "FULL"' "SET GLOBAL binlog_row_image = 'FULL'"
my2 -e "SET GLOBAL binlog_row_image = 'FULL'; SET GLOBAL binlog_row_metadata = 'MINIMAL'"
expect_error minimal_metadata 'change capture requires binlog_row_metadata "FULL"' "SET GLOBAL binlog_row_metadata = 'FULL'"
my2 -e "SET GLOBAL binlog_row_metadata = 'FULL'"
expect_error server_id 'option "server_id" (1) is the source server' 'server_id in the source options' 'server_id = 1'

my2 -e "CREATE USER weak@'%' IDENTIFIED BY 's3cret-Pw'; GRANT SELECT ON *.* TO weak@'%'"
export WEAK_PW='s3cret-Pw'
SRC_USER=weak expect_error no_replication "user 'weak'@'%' lacks the REPLICATION SLAVE privilege" \
  "GRANT REPLICATION SLAVE, BINLOG MONITOR ON \*.\* TO 'weak'@'%'" 'password = env "WEAK_PW"'
grep -q 's3cret-Pw' run.log && fail "the password appears in the output"
my2 -e "GRANT REPLICATION SLAVE ON *.* TO weak@'%'"
SRC_USER=weak expect_error no_monitor "user 'weak'@'%' lacks the BINLOG MONITOR privilege" \
  'GRANT REPLICATION SLAVE, BINLOG MONITOR' 'password = env "WEAK_PW"'

my2 -e "SET GLOBAL binlog_expire_logs_seconds = 3600"
expect_error retention 'the source keeps its binary log for only 3600 seconds' 'binlog_expire_logs_seconds'
my2 -e "SET GLOBAL binlog_expire_logs_seconds = 0"

# everything right: cdc-only streams from the server's current position
SRC_PORT=$PORT2 SRC_DBS=shop write_pipeline cdc_only.lua cdc-only
"$SLUICE" run cdc_only.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
wait_for 30 in_phase cdc_only cdc || { cat run.log >&2; fail "cdc-only did not start streaming"; }
my2 -e "INSERT INTO shop.t VALUES (3, 'c')"
wait_for 30 tgt_is "SELECT v FROM shop.t WHERE id = 3" c || { cat run.log >&2; fail "cdc-only: the insert did not arrive"; }
kill -TERM $pid; wait $pid || fail "cdc-only exited $? on SIGTERM"
pass "cdc-only: streams from the current position"

# the checkpoint's binlog file purged while sluice was stopped: a clear error, no jump
my2 -e "INSERT INTO shop.t VALUES (4, 'd'); FLUSH BINARY LOGS; FLUSH BINARY LOGS"
last=$(my2 -e "SHOW MASTER STATUS" | cut -f1)
# the server keeps a file a binlog dump thread still reads: the old session's
# thread ends at its next heartbeat write
purged() { my2 -e "PURGE BINARY LOGS TO '$last'" && [ "$(my2 -e 'SHOW BINARY LOGS' | cut -f1)" = "$last" ]; }
wait_for 30 purged || fail "could not purge the binary logs before $last"
rc=0; "$SLUICE" run cdc_only.lua > run.log 2>&1 || rc=$?
[ $rc != 0 ] || { cat run.log >&2; fail "sluice ran from a purged position"; }
grep -q "binlog position binlog.[0-9]*:[0-9]* is no longer available on server" run.log ||
  { cat run.log >&2; fail "purged: no clear message"; }
grep -q "^detail: .*keeps only binlog files $last to $last" run.log || { cat run.log >&2; fail "purged: no detail"; }
grep -q "^hint: Reload the tables" run.log || { cat run.log >&2; fail "purged: no hint"; }
tgt_is "SELECT count(*) FROM shop.t WHERE id = 4" 0 || fail "purged: a row arrived anyway"
pass "a purged checkpoint position fails (exit $rc) with a message, detail and hint"
finish
