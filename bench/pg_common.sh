# bench/pg_common.sh -- sourced by bench/pg_*.sh; never run directly.
#
# The PostgreSQL-to-PostgreSQL benchmarks of sluice reuse the shared limit and
# peer harness in ../shared/bench (its common.sh helpers, its limit and peer
# scripts and their ENGINE_CMD / ENGINE_CDC_CMD hooks). What differs from the
# shared setup.sh, and why (see bench/README.md):
#   - source-pg moves every table of a schema (it has no table filter yet), so
#     each full-load dataset lives in a source instance of its own, both with
#     database "src" as the shared scripts expect: pgbench on $SRC_PORT_PGBENCH,
#     wide on $SRC_PORT_WIDE; the scripts are pointed at one through SRC_PORT;
#   - no MariaDB, pgloader (MySQL -> PG is not this issue);
#   - other ports and folder, so it runs beside the shared harness.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
SHARED_BENCH=$(cd "$SHARED_BENCH" && pwd) || { echo "no shared bench harness at $SHARED_BENCH" >&2; exit 1; }

export PERF_ROOT=${PERF_ROOT:-/tmp/sluice-pgbench}
export SRC_PORT_PGBENCH=${SRC_PORT_PGBENCH:-56532}
export SRC_PORT_WIDE=${SRC_PORT_WIDE:-56535}
export SRC_PORT=${SRC_PORT:-$SRC_PORT_PGBENCH}
export TGT_PORT=${TGT_PORT:-56533}
export CDC_PORT=${CDC_PORT:-56534}
export MY_PORT=${MY_PORT:-56536}      # unused (no MariaDB here), kept off the shared default
export NEED_MARIADB=0
export PGBENCH_SCALE=${PGBENCH_SCALE:-50}
export WIDE_ROWS=${WIDE_ROWS:-2000000}
export RESULTS_DIR=${RESULTS_DIR:-$PERF_ROOT/results}

# the sluice under test (built by scripts/build.sh unless SLUICE says otherwise)
export SLUICE=${SLUICE:-$ROOT/build/sluice}
export SLUICE_PLUGIN_PATH=${SLUICE_PLUGIN_PATH:-$(dirname "$SLUICE")/plugins}
export ENGINE_LOG=${ENGINE_LOG:-$PERF_ROOT/results/engine_runs.tsv}

# shellcheck source=/dev/null
source "$SHARED_BENCH/common.sh"

src_port_of() {  # dataset -> the source instance holding it
  case "$1" in
    pgbench) echo "$SRC_PORT_PGBENCH" ;;
    wide)    echo "$SRC_PORT_WIDE" ;;
    *) echo "unknown dataset $1" >&2; return 1 ;;
  esac
}

median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "-" }'; }

sluice_version() {
  local v c
  v=$("$SLUICE" version 2>/dev/null | head -1)
  c=$(git -C "$(dirname "$SLUICE")/.." rev-parse --short HEAD 2>/dev/null || cat "$(dirname "$SLUICE")/../COMMIT" 2>/dev/null || echo "?")
  echo "$v (tree $c, $SLUICE)"
}
