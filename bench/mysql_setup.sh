#!/usr/bin/env bash
# bench/mysql_setup.sh -- the MariaDB source of the MySQL -> PG benchmarks
# (bench/mysql_fullload.sh, bench/mysql_cdc.sh), beside bench/pg_setup.sh's
# instances. Idempotent; ~2 min the first time at the default sizes.
#
#   source (both datasets) MariaDB 10.11 : 127.0.0.1:$MY_PORT (56536)  db src
#
# Server settings and the dataset copies are those of ../shared/bench/setup.sh
# (section 3: the same rows exported from the PG sources, the equivalent MySQL
# types of sql/schema_mysql.sql), plus what change capture needs:
# binlog_row_metadata = FULL and a binlog kept for a week. Run
# bench/pg_setup.sh first: the rows come from its PG source instances, and the
# checks of the shared scripts count and checksum the PG source.
# Packages: mariadb-server, mariadb-client, pgloader. FORCE_RELOAD=1 reloads.
source "$(dirname "$0")/pg_common.sh"
T0=$(date +%s)
FORCE_RELOAD=${FORCE_RELOAD:-0}

PKGS="mariadb-server mariadb-client pgloader"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  log "installing:$missing"
  apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >/dev/null || die "apt-get install failed"
fi
for ds in pgbench wide; do
  pg_is_up "$(src_port_of $ds)" || die "the PG source of $ds is not running: run bench/pg_setup.sh first"
done

mkdir -p "$MY_DATADIR" "$RUN_DIR" "$LOG_DIR" "$PERF_ROOT/mariadb-tmp"
chown mysql:mysql "$MY_DATADIR" "$PERF_ROOT/mariadb-tmp"
if [ ! -d "$MY_DATADIR/mysql" ]; then
  log "mariadb-install-db $MY_DATADIR"
  mariadb-install-db --no-defaults --datadir="$MY_DATADIR" --user=mysql \
     --auth-root-authentication-method=socket --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1 \
     || die "mariadb-install-db failed, see $LOG_DIR/mariadb-install.log"
fi
if ! my_is_up; then
  log "start mariadbd on port $MY_PORT"
  # no descriptor above 2 inherited (see pg_ctl_clean in bench/pg_setup.sh)
  ( for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
    exec nohup /usr/sbin/mariadbd --no-defaults --datadir="$MY_DATADIR" --user=mysql \
      --port="$MY_PORT" --bind-address=127.0.0.1 --socket="$MY_SOCK" --pid-file="$MY_PIDFILE" \
      --tmpdir="$PERF_ROOT/mariadb-tmp" --log-error="$LOG_DIR/mariadb.err" \
      --innodb-buffer-pool-size=2G --innodb-log-file-size=1G --innodb-flush-log-at-trx-commit=1 \
      --server-id=1 --log-bin="$MY_DATADIR/binlog" --binlog-format=ROW --binlog-row-image=FULL \
      --binlog-row-metadata=FULL --binlog-expire-logs-seconds=604800 \
      --max-allowed-packet=256M --local-infile=1 --skip-name-resolve \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
      >"$LOG_DIR/mariadbd.out" 2>&1 ) &
  for _ in $(seq 1 60); do my_is_up && break; sleep 1; done
  my_is_up || die "mariadbd did not come up, see $LOG_DIR/mariadb.err"
fi
my_root -e "CREATE DATABASE IF NOT EXISTS $MY_DB;
  CREATE USER IF NOT EXISTS '$MY_USER'@'127.0.0.1' IDENTIFIED BY '$MY_PASS';
  CREATE USER IF NOT EXISTS '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASS';
  GRANT ALL ON *.* TO '$MY_USER'@'127.0.0.1'; GRANT ALL ON *.* TO '$MY_USER'@'localhost';" \
  || die "mariadb user setup failed"

# the same rows as the PG sources (../shared/bench/setup.sh, section 4 (c))
want="v$DATA_VERSION scale=$PGBENCH_SCALE wide_rows=$WIDE_ROWS"
have=$(my_sql -N -B "$MY_DB" -e "SELECT v FROM bench_meta WHERE k='dataset'" 2>/dev/null || true)
if [ "$have" != "$want" ] || [ "$FORCE_RELOAD" = 1 ]; then
  log "loading the MariaDB datasets ($want)"
  my_sql "$MY_DB" < "$SHARED_BENCH/sql/schema_mysql.sql" || die "mysql schema failed"
  LD="SET sql_log_bin=0; SET unique_checks=0; SET foreign_key_checks=0; LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE"
  FMT="CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'"
  t=$(date +%s)
  for tb in pgbench_branches pgbench_tellers pgbench_accounts; do
    SRC_PORT=$SRC_PORT_PGBENCH src_sql "COPY (SELECT * FROM $tb ORDER BY 1) TO STDOUT" \
      | my_root --local-infile=1 "$MY_DB" -e "$LD $tb $FMT" || die "load $tb into MariaDB failed"
  done
  log "  pgbench tables: $(( $(date +%s) - t ))s"
  t=$(date +%s)
  SRC_PORT=$SRC_PORT_WIDE src_sql "COPY (SELECT id, c_int, c_num, c_text, c_varchar, c_bool::int,
                  to_char(c_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), c_date, c_jsonb,
                  encode(c_bytea, 'hex'), c_uuid FROM wide ORDER BY id) TO STDOUT" \
    | my_root --local-infile=1 "$MY_DB" -e "$LD wide $FMT
        (id, c_int, c_num, c_text, c_varchar, c_bool, c_ts, c_date, c_jsonb, @hx, c_uuid)
        SET c_bytea = UNHEX(@hx)" || die "load wide into MariaDB failed"
  log "  wide: $(( $(date +%s) - t ))s"
  my_root "$MY_DB" -e "ANALYZE TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, wide" >/dev/null
  my_sql "$MY_DB" -e "INSERT INTO bench_meta VALUES ('dataset', '$want')"
else
  log "MariaDB datasets already loaded ($have)"
fi
my_sql -N -B "$MY_DB" -e "SELECT CONCAT('| ', TABLE_NAME, ' | ', TABLE_ROWS, ' (estimate) | ',
    ROUND((DATA_LENGTH + INDEX_LENGTH) / 1e6), ' |') FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = '$MY_DB' AND TABLE_NAME <> 'bench_meta'"
log "mysql_setup done in $(( $(date +%s) - T0 ))s"
