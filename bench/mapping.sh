#!/usr/bin/env bash
# What mappings cost the core, side by side in one run, with
#   none         no mappings at all
#   identity     one include rule: a plan that leaves rows as they are
#   declarative  renames (a table, two columns), a dropped column, two
#                change-data-type and a filter every row passes (so all
#                variants write the same rows)
#   row-function identity plus a per-row Lua function: reads two integers and
#                a text, writes one integer
# through `sluice run` full load into the null capture sink (the target
# database is not involved: this is the core's own cost), pinned to one CPU
# (taskset -c 0). Variants interleave within each round; medians over RUNS
# rounds. Times are the process's CPU time (user + sys, /usr/bin/time): on a
# shared machine the wall clock also counts the time other processes hold the
# CPU. Reported: declarative / identity throughput, and
# (row-function - identity) / rows.
#
# DATASET=generator (default): the generator plugin's wide shape, 2 tables x
#   ROWS rows, 32 columns (id, 15 bigints, 16 texts of 100..399 bytes).
# DATASET=wide: the shared benchmark's wide table (../shared/bench/sql/wide_pg.sql,
#   11 columns: bigint, int, numeric(18,2), text of 10..2000 chars, varchar,
#   boolean, timestamptz, date, jsonb, bytea, uuid; 2M rows) read by source-pg
#   from the instance bench/pg_setup.sh starts (run it first). The source
#   plugin's COPY parsing is in every variant's CPU time alike.
#
# usage: bench/mapping.sh [RUNS]      (default 5)
#        BUILD=build-dir ROWS=per table (generator)  DATASET=generator|wide
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
build=${BUILD:-$root/build}
rows=${ROWS:-500000}
total=$((rows * 2))
dataset=${DATASET:-generator}
export SLUICE_PLUGIN_PATH="$build/tests/plugins:$build/plugins"
work=$(mktemp -d /tmp/sluice-bench-mapping.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
cpu="taskset -c 0"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

mappings_none=''
mappings_identity='mappings = { { rule = "include", schema = "gen", table = "%" } },'
mappings_declarative='mappings = {
    { rule = "include", schema = "gen", table = "%", filters = { { column = "id", gte = 0 } } },
    { rule = "add-prefix", schema = "gen", table = "%", value = "m_" },
    { rule = "rename", schema = "gen", table = "%", column = "s1", value = "label" },
    { rule = "rename", schema = "gen", table = "%", column = "n1", value = "amount" },
    { rule = "remove-column", schema = "gen", table = "%", column = "s2" },
    { rule = "change-data-type", schema = "gen", table = "%", column = "n3", data_type = "numeric(20,0)" },
    { rule = "change-data-type", schema = "gen", table = "%", column = "s3", data_type = "varchar(400)" },
  },'
mappings_rowfn='mappings = {
    { rule = "include", schema = "gen", table = "%" },
    { rule = "row-function", schema = "gen", table = "%", fn = function(t)
        local id, n1, n2, s1 = t:column("id"), t:column("n1"), t:column("n2"), t:column("s1")
        return function(row)
          local a, b = row:get(n1), row:get(n2)
          if b ~= sluice.null and #row:get(s1) > 0 then row:set(n2, a + b + row:get(id)) end
        end
      end },
  },'

if [ "$dataset" = wide ]; then
  source "$root/bench/pg_common.sh"
  export SRC_URI="host=$HOST port=$SRC_PORT_WIDE dbname=$SRC_DB user=postgres"
  total=$(psql -X -At -h "$HOST" -p "$SRC_PORT_WIDE" -U postgres -d "$SRC_DB" -c 'SELECT count(*) FROM wide') ||
    { echo "no wide dataset on port $SRC_PORT_WIDE: run bench/pg_setup.sh first" >&2; exit 1; }
  source_block='source = { plugin = "source-pg", conninfo = env "SRC_URI" },'
  mappings_identity='mappings = { { rule = "include", schema = "public", table = "wide" } },'
  mappings_declarative='mappings = {
    { rule = "include", schema = "public", table = "wide", filters = { { column = "id", gte = 0 } } },
    { rule = "add-prefix", schema = "public", table = "%", value = "m_" },
    { rule = "rename", schema = "public", table = "%", column = "c_text", value = "body" },
    { rule = "rename", schema = "public", table = "%", column = "c_num", value = "amount" },
    { rule = "remove-column", schema = "public", table = "%", column = "c_bytea" },
    { rule = "change-data-type", schema = "public", table = "%", column = "c_int", data_type = "bigint" },
    { rule = "change-data-type", schema = "public", table = "%", column = "c_varchar", data_type = "varchar(200)" },
  },'
  mappings_rowfn='mappings = {
    { rule = "include", schema = "public", table = "wide" },
    { rule = "row-function", schema = "public", table = "%", fn = function(t)
        local id, ci, cv = t:column("id"), t:column("c_int"), t:column("c_varchar")
        return function(row)
          local a, v = row:get(ci), row:get(cv)
          if a ~= sluice.null and v ~= sluice.null and #v > 0 then row:set(ci, a // 2 + row:get(id) % 7) end
        end
      end },
  },'
else
  source_block="source = { plugin = \"generator\", tables = 2, rows = $rows, columns = 32, wide = true },"
fi

variants=(none identity declarative rowfn)
for v in "${variants[@]}"; do : > "$v.txt"; done
for i in $(seq 1 "$runs"); do
  for v in "${variants[@]}"; do
    var="mappings_$v"
    rm -rf .sluice
    cat > bench.lua <<LUA
return { name = "bench", mode = "full-load",
  $source_block
  target = { plugin = "capture", null = true, path = "unused" },
  ${!var}
  settings = { MaxFullLoadSubTasks = 1, StatusIntervalMs = 60000 } }
LUA
    /usr/bin/time -f "%e %U %S" -o time.txt $cpu "$build/sluice" run --no-progress bench.lua 2> run.log ||
      { cat run.log >&2; exit 1; }
    sunk=$(python3 -c 'import json; print(json.load(open(".sluice/bench/status.json"))["plugin_counters"]["capture"]["rows"])')
    [ "$sunk" = "$total" ] || { echo "$v: sink counted $sunk rows, expected $total" >&2; exit 1; }
    tail -1 time.txt | awk '{printf "%.2f\n", $2+$3}' >> "$v.txt"
  done
done

printf '| variant | rows | CPU seconds (median) | rows/s per core | ns/row |\n|---|---|---|---|---|\n'
for v in "${variants[@]}"; do
  s=$(median < "$v.txt")
  awk -v v="$v" -v t="$total" -v s="$s" \
    'BEGIN {printf "| %s | %d | %.3f | %.0f | %.0f |\n", v, t, s, t/s, s*1e9/t}'
  eval "med_$v=$s"
done
echo
awk -v i="$med_identity" -v d="$med_declarative" -v r="$med_rowfn" -v n="$med_none" -v t="$total" 'BEGIN {
  printf "declarative / identity throughput: %.3f (cost %.1f%%)\n", i/d, (d/i-1)*100
  printf "identity / none throughput: %.3f\n", n/i
  printf "row function: (row-function - identity) / rows = %.0f ns per row\n", (r-i)*1e9/t }'
echo "medians of $runs interleaved runs; dataset $dataset, one lane, null capture sink, taskset -c 0"
