#!/usr/bin/env bash
# The core's own cost: generator -> null sink through `sluice run` (reader and
# writer threads, bounded queue, batches, stats), against the limit: the same
# generator's read_chunk in a tight loop on one thread (bench/source_direct.c).
# Everything is pinned to one CPU core (taskset -c 0), so rows/s is per core and
# ns/row is the whole process's CPU cost per row. Rows are counted at the sink
# (the capture plugin's "rows" counter in the status file), not by the core.
#
# usage: bench/core_throughput.sh [RUNS]      (default 5; medians are reported)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
build=${BUILD:-$root/build}
export SLUICE_PLUGIN_PATH="$build/tests/plugins"
work=$(mktemp -d /tmp/sluice-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
cpu="taskset -c 0"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# shape name, generator options, total rows
shapes=(
  "narrow|tables = 2, rows = 10000000, columns = 4|20000000"
  "wide|tables = 2, rows = 500000, columns = 32, wide = true|1000000"
)

printf '| shape | rows | direct rows/s (limit) | pipeline rows/s | pipeline ns/row | pipeline / limit |\n'
printf '|---|---|---|---|---|---|\n'
for s in "${shapes[@]}"; do
  IFS='|' read -r name opts total <<<"$s"
  direct_args=$(echo "$opts" | tr -d ' ' | tr ',' ' ')
  : > direct.txt; : > pipe.txt
  for i in $(seq 1 "$runs"); do
    # the limit
    read -r rows _ secs _ < <($cpu "$build/bench/source-direct" generator $direct_args)
    [ "$rows" = "$total" ] || { echo "direct produced $rows rows, expected $total" >&2; exit 1; }
    echo "$rows $secs" | awk '{printf "%.0f\n", $1/$2}' >> direct.txt
    # the pipeline
    rm -rf .sluice
    cat > bench.lua <<LUA
return { name = "bench", mode = "full-load",
  source = { plugin = "generator", $opts },
  target = { plugin = "capture", null = true, path = "unused" },
  settings = { MaxFullLoadSubTasks = 1, StatusIntervalMs = 60000 } }
LUA
    start=$(date +%s.%N)
    $cpu "$build/sluice" run --no-progress bench.lua 2> run.log
    end=$(date +%s.%N)
    sunk=$(python3 -c 'import json; print(json.load(open(".sluice/bench/status.json"))["plugin_counters"]["capture"]["rows"])')
    [ "$sunk" = "$total" ] || { echo "sink counted $sunk rows, expected $total" >&2; exit 1; }
    echo "$sunk $start $end" | awk '{printf "%.0f\n", $1/($3-$2)}' >> pipe.txt
  done
  d=$(median < direct.txt); p=$(median < pipe.txt)
  awk -v n="$name" -v t="$total" -v d="$d" -v p="$p" \
    'BEGIN {printf "| %s | %d | %.0f | %.0f | %.0f | %.2f |\n", n, t, d, p, 1e9/p, p/d}'
done
echo
echo "medians of $runs runs; narrow = id, n1, s1, n2 (bigint, bigint, ~20-byte text, bigint);"
echo "wide = 32 columns with 100-399-byte texts; pipeline = sluice run, one lane, null capture sink"
