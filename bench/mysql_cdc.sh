#!/usr/bin/env bash
# bench/mysql_cdc.sh -- sluice's MySQL -> PG change capture catch-up, against
# the binlog decode limit and against sluice's own PG -> PG catch-up, in one run.
#
# 1. MariaDB (bench/mysql_setup.sh's instance) gets a database "cdc" holding the
#    pgbench tables at scale CDC_SCALE (10: 1,000,000 accounts); a sluice
#    full-load-and-cdc pipeline copies it to PG database mycdc_base, streams
#    until a marker row arrives, and stops: the target's checkpoint is then
#    the binlog position after the marker. mycdc_base becomes a template.
# 2. The recorded workload: CDC_CLIENTS clients each run CDC_TXNS tpcb-like
#    transactions (pgbench's: UPDATE accounts, UPDATE tellers, UPDATE branches,
#    INSERT history) through a stored procedure; END = SHOW MASTER STATUS after.
# 3. RUNS timed runs, alternating, each from the same start:
#      binlog-decode  mariadb-binlog --read-from-remote-server over the same
#                     range, to /dev/null (the decode limit, as pg_recvlogical
#                     is for PG)
#      sluice         mode cdc-only, resumes from the checkpoint in a fresh copy
#                     of mycdc_base, --until END (process start to exit);
#                     verified: every table's count and checksum equal MariaDB's
# 4. For "comparable to the PostgreSQL source": bench/pg_cdc.sh's catch-up
#    (CATCHUP=1 LAG=0, CDC_MODES="engine-cdc"), the same workload shape on PG,
#    in the same run (PG=0 skips it).
#
# usage: bench/pg_setup.sh; bench/mysql_setup.sh; bench/mysql_cdc.sh
# knobs: RUNS (3), CDC_SCALE (10), CDC_CLIENTS (4), CDC_TXNS (25000), PG (1), SLUICE
source "$(dirname "$0")/pg_common.sh"
export NEED_MARIADB=1
RUNS=${RUNS:-3} CDC_SCALE=${CDC_SCALE:-10} CDC_CLIENTS=${CDC_CLIENTS:-4} CDC_TXNS=${CDC_TXNS:-25000}
T0=$(date +%s)
my_is_up || die "MariaDB on $MY_PORT is not running: run bench/mysql_setup.sh"
pg_is_up "$TGT_PORT" || die "the target PG on $TGT_PORT is not running: run bench/pg_setup.sh"
W=$WORK_DIR/mysql_cdc; rm -rf "$W"; mkdir -p "$W"
TSV=$RESULTS_DIR/mysql_cdc_runs.tsv
echo -e "run\ttool\tseconds\tstatus" > "$TSV"
export MY_PASSWORD=$MY_PASS
log "sluice: $(sluice_version)"

# ---------------------------------------------------------------- 1. source and base
log "source: MariaDB database cdc, pgbench tables at scale $CDC_SCALE"
my_sql -e "DROP DATABASE IF EXISTS cdc; CREATE DATABASE cdc" || die "create cdc failed"
my_sql cdc <<SQL || die "source tables failed"
CREATE TABLE pgbench_branches (bid INT NOT NULL PRIMARY KEY, bbalance INT, filler CHAR(88));
CREATE TABLE pgbench_tellers  (tid INT NOT NULL PRIMARY KEY, bid INT, tbalance INT, filler CHAR(84));
CREATE TABLE pgbench_accounts (aid INT NOT NULL PRIMARY KEY, bid INT, abalance INT, filler CHAR(84));
CREATE TABLE pgbench_history  (hid BIGINT AUTO_INCREMENT PRIMARY KEY, tid INT, bid INT, aid INT,
                               delta INT, mtime DATETIME(6), filler CHAR(22));
CREATE TABLE bench_marker (id INT PRIMARY KEY);
INSERT INTO pgbench_branches SELECT seq, 0, '' FROM seq_1_to_$CDC_SCALE;
INSERT INTO pgbench_tellers SELECT seq, (seq - 1) DIV 10 + 1, 0, '' FROM seq_1_to_$((CDC_SCALE * 10));
INSERT INTO pgbench_accounts SELECT seq, (seq - 1) DIV 100000 + 1, 0, '' FROM seq_1_to_$((CDC_SCALE * 100000));
-- pgbench's tpcb-like transaction, without its SELECT
DELIMITER //
CREATE PROCEDURE tpcb(n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE a, t, b, d INT;
  WHILE i < n DO
    SET a = FLOOR(1 + RAND() * $((CDC_SCALE * 100000))), t = FLOOR(1 + RAND() * $((CDC_SCALE * 10))),
        b = FLOOR(1 + RAND() * $CDC_SCALE), d = FLOOR(-5000 + RAND() * 10001);
    START TRANSACTION;
    UPDATE pgbench_accounts SET abalance = abalance + d WHERE aid = a;
    UPDATE pgbench_tellers SET tbalance = tbalance + d WHERE tid = t;
    UPDATE pgbench_branches SET bbalance = bbalance + d WHERE bid = b;
    INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (t, b, a, d, NOW(6));
    COMMIT;
    SET i = i + 1;
  END WHILE;
END//
DELIMITER ;
SQL
pipeline() {  # FILE MODE TARGET_DB
  cat > "$1" <<EOF
return {
  name = "bench-mysql-cdc",
  mode = "$2",
  source = { plugin = "source-mysql", host = "$HOST", port = $MY_PORT, user = "$MY_USER",
             password = env "MY_PASSWORD", databases = "cdc", server_id = 4322 },
  target = { plugin = "sink-pg", conninfo = "host=$HOST port=$TGT_PORT user=postgres dbname=$3",
             checkpoint_key = "bench-mysql-cdc" },
  settings = { MaxFullLoadSubTasks = 2, FlushIntervalMs = 100 },
}
EOF
}
tgt_sql "DROP DATABASE IF EXISTS mycdc_base WITH (FORCE)" postgres
tgt_sql "CREATE DATABASE mycdc_base" postgres
pipeline "$W/base.lua" full-load-and-cdc mycdc_base
"$SLUICE" run --no-progress --state-dir "$W/base-state" "$W/base.lua" > "$W/base.log" 2>&1 & base=$!
for _ in $(seq 600); do
  [ "$(jq -r .phase "$W/base-state/status.json" 2>/dev/null)" = cdc ] && break
  kill -0 $base 2>/dev/null || die "the base run ended: $(tail -5 "$W/base.log")"
  sleep 0.2
done
my_sql cdc -e "INSERT INTO bench_marker VALUES (1)"
for _ in $(seq 600); do
  [ "$(tgt_sql "SELECT count(*) FROM cdc.bench_marker" mycdc_base 2>/dev/null)" = 1 ] && break
  kill -0 $base 2>/dev/null || die "the base run ended: $(tail -5 "$W/base.log")"
  sleep 0.2
done
sleep 1   # the marker's commit flushed with its checkpoint (FlushIntervalMs)
kill -TERM $base; wait $base || die "the base run exited $?: $(tail -5 "$W/base.log")"
tgt_sql "SELECT position FROM sluice.sluice_checkpoint" mycdc_base > "$W/start.txt" 2>/dev/null ||
  tgt_sql "SELECT * FROM sluice.sluice_checkpoint" mycdc_base > "$W/start.txt"
log "base copied; checkpoint: $(cat "$W/start.txt")"
tgt_sql "DROP DATABASE IF EXISTS mycdc_template WITH (FORCE)" postgres
tgt_sql "ALTER DATABASE mycdc_base RENAME TO mycdc_template" postgres

# ---------------------------------------------------------------- 2. workload
read -r F0 P0 < <(my_sql -N -B -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
log "workload: $CDC_CLIENTS clients x $CDC_TXNS tpcb-like transactions from $F0:$P0"
t=$(date +%s.%N)
for _ in $(seq "$CDC_CLIENTS"); do my_sql cdc -e "CALL tpcb($CDC_TXNS)" & done
wait
t=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
read -r F1 P1 < <(my_sql -N -B -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
TXNS=$((CDC_CLIENTS * CDC_TXNS)) CHANGES=$((CDC_CLIENTS * CDC_TXNS * 4))
log "workload done in $t s: $TXNS transactions, $CHANGES row changes, END $F1:$P1"
echo "workload: $TXNS transactions ($CHANGES row changes) in $t s, binlog $F0:$P0 .. $F1:$P1" > "$W/workload.txt"

# ---------------------------------------------------------------- 3. timed runs
digest_sql_my() {  # table -> count and md5 of rows in key order (MariaDB)
  case "$1" in
    pgbench_history) echo "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS('|', hid, tid, bid, aid, delta) ORDER BY hid SEPARATOR ',')) FROM pgbench_history" ;;
    *) local k; k=$(echo "$1" | sed 's/pgbench_\(.\).*/\1id/'); echo "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS('|', $k, ${k/id/}balance) ORDER BY $k SEPARATOR ',')) FROM $1" ;;
  esac | sed 's/aid, abalance/aid, bid, abalance/'
}
digest_sql_pg() {
  case "$1" in
    pgbench_history) echo "SELECT count(*) || E'\t' || md5(string_agg(concat_ws('|', hid, tid, bid, aid, delta), ',' ORDER BY hid)) FROM cdc.pgbench_history" ;;
    *) local k; k=$(echo "$1" | sed 's/pgbench_\(.\).*/\1id/'); echo "SELECT count(*) || E'\t' || md5(string_agg(concat_ws('|', $k, ${k/id/}balance), ',' ORDER BY $k)) FROM cdc.$1" ;;
  esac | sed 's/aid, abalance/aid, bid, abalance/'
}
declare -A SRC_DIGEST
for tb in pgbench_branches pgbench_tellers pgbench_accounts pgbench_history; do
  SRC_DIGEST[$tb]=$(my_sql -N -B cdc -e "SET SESSION group_concat_max_len = 1 << 30; $(digest_sql_my $tb)")
done
verify() {  # db
  local tb got
  for tb in pgbench_branches pgbench_tellers pgbench_accounts pgbench_history; do
    got=$(tgt_sql "$(digest_sql_pg $tb)" "$1")
    [ "$got" = "${SRC_DIGEST[$tb]}" ] || { log "  VERIFY FAILED $tb: source ${SRC_DIGEST[$tb]} target $got"; return 1; }
  done
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
for r in $(seq "$RUNS"); do
  tools="binlog-decode sluice"; [ $((r % 2)) = 0 ] && tools="sluice binlog-decode"
  for tool in $tools; do
    case $tool in
    binlog-decode)
      s=$(date +%s.%N)
      mariadb-binlog --no-defaults --read-from-remote-server --host="$HOST" --port="$MY_PORT" \
        --user="$MY_USER" --password="$MY_PASS" --start-position="$P0" --stop-position="$P1" \
        --to-last-log "$F0" > /dev/null 2> "$W/decode.err" && st=ok || st="failed($(head -1 "$W/decode.err"))"
      echo -e "$r\t$tool\t$(secs "$s" "$(date +%s.%N)")\t$st" >> "$TSV" ;;
    sluice)
      tgt_sql "DROP DATABASE IF EXISTS mycdc_run WITH (FORCE)" postgres
      tgt_sql "CREATE DATABASE mycdc_run TEMPLATE mycdc_template" postgres
      pipeline "$W/run.lua" cdc-only mycdc_run
      sync; s=$(date +%s.%N)
      "$SLUICE" run --no-progress --state-dir "$W/run-state-$r" --until "$F1:$P1" "$W/run.lua" \
        > "$W/run-$r.log" 2>&1 && st=ok || st="exit $?"
      e=$(date +%s.%N)
      [ "$st" = ok ] && { verify mycdc_run || st=BAD; }
      echo -e "$r\t$tool\t$(secs "$s" "$e")\t$st" >> "$TSV" ;;
    esac
    log "  run $r $tool: $(tail -1 "$TSV" | cut -f3,4)"
  done
done
tgt_sql "DROP DATABASE IF EXISTS mycdc_run WITH (FORCE)" postgres

# ---------------------------------------------------------------- 4. PG source, same run
if [ "${PG:-1}" = 1 ]; then
  log "PG -> PG catch-up (bench/pg_cdc.sh CATCHUP=1 LAG=0 CDC_MODES=engine-cdc RUNS=$RUNS)"
  RUNS=$RUNS CATCHUP=1 LAG=0 CDC_MODES="engine-cdc" CDC_TXNS=$CDC_TXNS CDC_CLIENTS=$CDC_CLIENTS \
    bash "$ROOT/bench/pg_cdc.sh" > "$W/pg_cdc.log" 2>&1 || log "pg_cdc.sh failed: see $W/pg_cdc.log"
  # its report's row: | **sluice** (cdc-only, ...) | runs | median s | ...
  PG_S=$(awk -F'|' '/\*\*sluice\*\* \(cdc-only/ { gsub(/ /, "", $4); print $4; exit }' "$W/pg_cdc.log")
fi

# ---------------------------------------------------------------- report
med() { awk -F'\t' -v t="$1" '$2 == t && $4 == "ok" { print $3 }' "$TSV" | median; }
SL=$(med sluice) DEC=$(med binlog-decode)
echo
echo "## MySQL -> PG CDC catch-up ($(date -u +%FT%TZ))"
echo
cat "$W/workload.txt"
echo
echo "| tool | ok runs | median s | changes/s |"
echo "|---|---|---|---|"
for tool in binlog-decode sluice; do
  m=$(med $tool)
  printf '| %s | %s | %s | %s |\n' "$tool" "$(awk -F'\t' -v t=$tool '$2 == t { n++; if ($4 == "ok") k++ } END { printf "%d/%d", k, n }' "$TSV")" \
    "$m" "$(awk -v c=$CHANGES -v s="$m" 'BEGIN { if (s+0 > 0) printf "%.0f", c/s; else print "-" }')"
done
[ -n "${PG_S:-}" ] && printf '| sluice PG -> PG (bench/pg_cdc.sh, same shape, %s changes) | | %s | %s |\n' \
  "$CHANGES" "$PG_S" "$(awk -v c=$CHANGES -v s="$PG_S" 'BEGIN { if (s+0 > 0) printf "%.0f", c/s; else print "-" }')"
echo
echo "sluice / binlog decode time: $(ratio "$SL" "$DEC"); sluice MySQL rate / sluice PG rate: $(ratio "${PG_S:-0}" "$SL")"
echo "per-run times: $TSV; logs: $W"
log "mysql_cdc done in $(( $(date +%s) - T0 ))s"
