#!/usr/bin/env bash
# bench/pg_setup.sh -- instances and datasets for the PG -> PG benchmarks of
# sluice (bench/pg_fullload.sh, bench/pg_cdc.sh).  Idempotent; ~3 min the
# first time at the default sizes, seconds after.
#
#   source (pgbench) PG 15 : 127.0.0.1:$SRC_PORT_PGBENCH (56532)  db src: pgbench -i -s $PGBENCH_SCALE
#   source (wide)    PG 15 : 127.0.0.1:$SRC_PORT_WIDE    (56535)  db src: ../shared/bench/sql/wide_pg.sql, $WIDE_ROWS rows
#   target           PG 15 : 127.0.0.1:$TGT_PORT         (56533)  db tgt: both schemas (PK only)
#   CDC source       PG 15 : 127.0.0.1:$CDC_PORT         (56534)  1 GB WAL segments (for ../shared/bench/cdc_limits.sh)
#
# Server settings, dataset generators and the target schema are those of
# ../shared/bench/setup.sh (pg_conf below is a copy of its pg_conf); the one
# difference is one source instance per dataset, because source-pg moves every
# table of a schema and has no table filter yet.  Packages: the PG part of the
# shared list (pgcopydb, wal2json, hyperfine, jq, sysstat); no MariaDB.
# FORCE_RELOAD=1 reloads the datasets.
source "$(dirname "$0")/pg_common.sh"
T0=$(date +%s)
FORCE_RELOAD=${FORCE_RELOAD:-0}

PKGS="postgresql-15 postgresql-contrib postgresql-client-15 postgresql-15-wal2json pgcopydb hyperfine jq sysstat procps time"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  log "installing:$missing"
  apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >/dev/null || die "apt-get install failed"
fi

mkdir -p "$PERF_ROOT" "$RUN_DIR" "$LOG_DIR" "$WORK_DIR" "$RESULTS_DIR"
chmod 755 "$PERF_ROOT"; chmod 1777 "$RUN_DIR" "$LOG_DIR" "$WORK_DIR"

pg_conf() {  # $1=port $2=wal_level $3=autovacuum   (as ../shared/bench/setup.sh)
  cat <<EOF
# written by bench/pg_setup.sh (same settings as ../shared/bench/setup.sh)
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$RUN_DIR'
max_connections = 100
shared_buffers = 1GB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 16GB
min_wal_size = ${MIN_WAL:-1GB}
checkpoint_timeout = 30min
wal_level = $2
max_wal_senders = 20
max_replication_slots = 20
autovacuum = $3
jit = off
fsync = on
synchronous_commit = on
full_page_writes = on
log_checkpoints = on
EOF
}

# pg_ctl with no descriptor above 2 inherited: a server outlives this script, and
# must not keep a caller's file open (flock /tmp/x.lock bash bench/pg_setup.sh
# would leave the lock held by the servers for as long as they run).
pg_ctl_clean() {
  ( for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
    exec runuser -u postgres -- "$PGBIN/pg_ctl" "$@" )
}

start_pg() {  # $1=datadir $2=port $3=wal_level $4=autovacuum $5=name [$6=extra initdb args]
  local d=$1
  if [ ! -s "$d/PG_VERSION" ]; then
    log "initdb $d"
    mkdir -p "$d"; chown postgres:postgres "$d"; chmod 700 "$d"
    runuser -u postgres -- "$PGBIN/initdb" -D "$d" -U postgres -A trust -E UTF8 --no-locale ${6:-} >"$LOG_DIR/initdb_$5.log" 2>&1 \
      || die "initdb failed, see $LOG_DIR/initdb_$5.log"
    echo "include_if_exists = 'bench.conf'" >> "$d/postgresql.conf"
  fi
  local new; new=$(pg_conf "$2" "$3" "$4")
  local changed=0
  if [ "$new" != "$(cat "$d/bench.conf" 2>/dev/null)" ]; then
    printf '%s\n' "$new" > "$d/bench.conf"; chown postgres:postgres "$d/bench.conf"; changed=1
  fi
  if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" status >/dev/null 2>&1; then
    if [ $changed = 1 ]; then
      log "restart $5 (config changed)"
      pg_ctl_clean -D "$d" -m fast -w -t 120 restart -l "$LOG_DIR/pg_$5.log" >/dev/null || die "restart $5 failed"
    fi
  else
    log "start $5 on port $2"
    pg_ctl_clean -D "$d" -w -t 120 -l "$LOG_DIR/pg_$5.log" start >/dev/null || die "start $5 failed, see $LOG_DIR/pg_$5.log"
  fi
  pg_is_up "$2" || die "$5 not answering on $2"
}

start_pg "$PERF_ROOT/pg_src_pgbench" "$SRC_PORT_PGBENCH" logical on src_pgbench
start_pg "$PERF_ROOT/pg_src_wide" "$SRC_PORT_WIDE" logical on src_wide
start_pg "$TGT_PGDATA" "$TGT_PORT" replica off tgt
MIN_WAL=2GB start_pg "$CDC_PGDATA" "$CDC_PORT" logical on cdc --wal-segsize=1024

# ---------------------------------------------------------------- datasets
# one per source instance, in parallel; the meta row lives in db postgres so
# that db src holds the dataset's tables only
load_dataset() {  # ds
  local ds=$1 port want have t
  port=$(src_port_of "$ds")
  case "$ds" in
    pgbench) want="v$DATA_VERSION pgbench scale=$PGBENCH_SCALE" ;;
    wide)    want="v$DATA_VERSION wide rows=$WIDE_ROWS" ;;
  esac
  SRC_PORT=$port src_sql "CREATE TABLE IF NOT EXISTS bench_meta(k text PRIMARY KEY, v text)" postgres
  have=$(SRC_PORT=$port src_sql "SELECT v FROM bench_meta WHERE k='dataset'" postgres)
  if [ "$have" = "$want" ] && [ "$FORCE_RELOAD" != 1 ]; then log "$ds already loaded ($have)"; return 0; fi
  log "loading $ds ($want) on port $port"
  t=$(date +%s)
  SRC_PORT=$port src_sql "DROP DATABASE IF EXISTS $SRC_DB WITH (FORCE)" postgres
  SRC_PORT=$port src_sql "CREATE DATABASE $SRC_DB" postgres
  case "$ds" in
    pgbench)
      pgbench -i -q -s "$PGBENCH_SCALE" -h "$HOST" -p "$port" -U postgres "$SRC_DB" >"$LOG_DIR/pgbench_init.log" 2>&1 \
        || die "pgbench -i failed, see $LOG_DIR/pgbench_init.log"
      SRC_PORT=$port src_sql "VACUUM (FREEZE, ANALYZE) pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history" ;;
    wide)
      "${PSQL[@]}" -p "$port" -d "$SRC_DB" -v rows="$WIDE_ROWS" -f "$SHARED_BENCH/sql/wide_pg.sql" >"$LOG_DIR/wide_gen.log" 2>&1 \
        || die "wide generation failed, see $LOG_DIR/wide_gen.log"
      SRC_PORT=$port src_sql "VACUUM (FREEZE, ANALYZE) wide" ;;
  esac
  SRC_PORT=$port src_sql "CHECKPOINT"
  SRC_PORT=$port src_sql "INSERT INTO bench_meta VALUES ('dataset', '$want') ON CONFLICT (k) DO UPDATE SET v = excluded.v" postgres
  log "  $ds loaded in $(( $(date +%s) - t ))s"
}
load_dataset pgbench & p1=$!
load_dataset wide & p2=$!
wait $p1 || die "pgbench dataset failed"
wait $p2 || die "wide dataset failed"

# ---------------------------------------------------------------- target schema
log "recreating target database $TGT_DB (schema only, both datasets)"
tgt_sql "DROP DATABASE IF EXISTS $TGT_DB WITH (FORCE)" postgres
tgt_sql "CREATE DATABASE $TGT_DB" postgres
for ds in pgbench wide; do
  pg_dump -h "$HOST" -p "$(src_port_of $ds)" -U postgres -d "$SRC_DB" --schema-only \
    | "${PSQL[@]}" -p "$TGT_PORT" -d "$TGT_DB" >/dev/null || die "target schema ($ds) failed"
done

echo
echo "## Datasets (source PG; MB = 10^6 bytes, pg_total_relation_size)"
echo
echo "| table | rows | total MB | heap MB |"
echo "|---|---|---|---|"
for ds in pgbench wide; do
  for tb in $(tables_of "$ds"); do
    SRC_PORT=$(src_port_of $ds) src_sql "SELECT '| $tb | ' || count(*) || ' | ' || round(pg_total_relation_size('$tb')/1e6) || ' | '
             || round(pg_relation_size('$tb')/1e6) || ' |' FROM $tb"
  done
done
log "pg_setup done in $(( $(date +%s) - T0 ))s"
