#!/usr/bin/env bash
# sluice check with a MySQL (MariaDB) source: every wrong prerequisite of change
# capture reported at once on a second server of this test's own (the open path
# stops at the first; tests/mysql/prereq.sh), the binary log off, a table
# without a primary key, a large-value column and an open transaction on the
# fixture's server; JSON parsed, exit status checked, nothing created.
. "$(dirname "$0")/common.sh"
: "${MY_THROWAWAY:?set by ctest}"
PORT2=$(free_port)
DIR2="$WORK/server2"
EXTRA_CLEANUP+=("bash '$MY_THROWAWAY' stop '$DIR2'")
my2() { MY_PORT_OVERRIDE=$PORT2 my "$@"; }

# what a check must not change: the source's tables, the target's schemas and relations
catalog() {
  MY_PORT_OVERRIDE=$1 my -e "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES
     WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1"
  tgt -c "SELECT nspname FROM pg_namespace UNION ALL SELECT relname FROM pg_class ORDER BY 1"
}

# run_check PIPELINE SOURCE_PORT EXPECTED_EXIT: text and JSON; nothing changed.
run_check() {
  local before rc=0
  before=$(catalog "$2")
  "$SLUICE" check "$1" > "${1%.lua}.txt" 2> run.log || rc=$?
  [ "$rc" = "$3" ] || { cat "${1%.lua}.txt" run.log; fail "$1: check exited $rc, expected $3"; }
  rc=0
  "$SLUICE" check --format json "$1" > "${1%.lua}.json" 2>> run.log || rc=$?
  [ "$rc" = "$3" ] || { cat "${1%.lua}.json" run.log; fail "$1: check --format json exited $rc, expected $3"; }
  [ "$(catalog "$2")" = "$before" ] || fail "$1: the check changed a catalog"
  [ ! -e .sluice ] || fail "$1: the check made a state directory"
}

# has JSON SEVERITY SCOPE 'message regex': the JSON output holds such a finding.
has() {
  python3 - "$@" <<'PY' || { cat "$1"; fail "$1: no $2 finding of $3 matching: $4"; }
import json, re, sys
path, sev, scope, msg = sys.argv[1:5]
found = json.load(open(path))
for f in found:
    assert set(f) == {"severity", "scope", "table", "message", "detail", "hint"}, f
sys.exit(0 if any(f["severity"] == sev and f["scope"] == scope and re.search(msg, f["message"])
                  for f in found) else 1)
PY
}

# ---- the binary log off ----
bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" "skip-log-bin" > /dev/null
my2 -e "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v varchar(10))"
SRC_PORT=$PORT2 SRC_DBS=shop write_pipeline off.lua full-load-and-cdc
run_check off.lua "$PORT2" 10
has off.json blocking source '^change capture requires the binary log$'
SRC_PORT=$PORT2 SRC_DBS=shop write_pipeline fl.lua full-load
run_check fl.lua "$PORT2" 0
pass "binary log off: blocking for change capture, nothing for a full load"

# ---- every other prerequisite wrong at once, reported together ----
bash "$MY_THROWAWAY" start "$DIR2" "$PORT2" > /dev/null
my2 -e "SET GLOBAL binlog_format = 'STATEMENT'; SET GLOBAL binlog_row_image = 'MINIMAL';
        SET GLOBAL binlog_row_metadata = 'MINIMAL'; SET GLOBAL binlog_expire_logs_seconds = 3600;
        CREATE USER weak@'%' IDENTIFIED BY 's3cret-Pw'; GRANT SELECT ON *.* TO weak@'%'"
export WEAK_PW='s3cret-Pw'
SRC_PORT=$PORT2 SRC_DBS=shop SRC_USER=weak write_pipeline wrong.lua full-load-and-cdc "" 'password = env "WEAK_PW"'
run_check wrong.lua "$PORT2" 10
has wrong.json blocking source '^change capture requires binlog_format "ROW"$'
has wrong.json blocking source '^change capture requires binlog_row_image "FULL"$'
has wrong.json blocking source '^change capture requires binlog_row_metadata "FULL"$'
has wrong.json blocking source "^user 'weak'@'%' lacks the REPLICATION SLAVE privilege\$"
has wrong.json blocking source '^the source keeps its binary log for only 3600 seconds$'
grep -q 's3cret-Pw' wrong.txt wrong.json run.log && fail "the password appears in the output"
# the server's own id as the option: a clash
sed -i "s/server_id = $READER_ID/server_id = 1/" wrong.lua
run_check wrong.lua "$PORT2" 10
has wrong.json blocking source '^option "server_id" \(1\) is the source server.s own server_id$'
pass "format, row image, row metadata, privileges, retention, server id: all reported, blocking"

# ---- the fixture's server: no key, a large value, an open transaction ----
my -e "CREATE TABLE \`$DB\`.keyed (id int PRIMARY KEY, v varchar(10));
       CREATE TABLE \`$DB\`.nokey (a int, b varchar(10));
       CREATE TABLE \`$DB\`.blobs (id int PRIMARY KEY, body longblob);
       INSERT INTO \`$DB\`.blobs SELECT seq, REPEAT('x', 300000) FROM \`$DB\`.seq_1_to_20;
       ANALYZE TABLE \`$DB\`.blobs" > /dev/null
my -e "BEGIN; INSERT INTO \`$DB\`.keyed VALUES (1, 'a'); SELECT SLEEP(600)" > /dev/null 2>&1 &
BG_PIDS+=($!)
open_trx() { [ -n "$(my -e "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX")" ]; }
wait_for 30 open_trx || fail "the background transaction did not start"
thread=$(my -e "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX LIMIT 1")
# its client outlives a kill of the shell that started it: end it at the server
EXTRA_CLEANUP+=("my -e 'KILL $thread' 2>/dev/null")
write_pipeline main.lua full-load-and-cdc
run_check main.lua "$MYSQL_PORT" 0
has main.json warning mapping "^table \"$DB.nokey\" has no primary key\$"
has main.json info source "^column \"body\" of table \"$DB.blobs\" \\(longblob\\) holds values of 300000 bytes on average\$"
has main.json warning source "^transaction of thread $thread has been open for [0-9]+ seconds\$"
has main.json info source '^server ".*" runs MariaDB '
grep -qx '0 blocking, .*' main.txt || fail "the text output does not count 0 blocking"
pass "a table without a key, a large-value column, an open transaction: reported, exit 0"
finish
