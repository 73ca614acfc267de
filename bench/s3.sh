#!/usr/bin/env bash
# sink-s3 full-load throughput into s3rver, against the limit: curl uploading the same
# bytes to the same s3rver in the same round.
#
#   sluice   `sluice run` full load of the shared wide table (bench/pg_setup.sh's
#            instance on port 56535, db src, table wide, 2M rows) through source-pg
#            into sink-s3 (CSV, no compression, defaults otherwise), under
#            /usr/bin/time -v for the peak RSS
#   curl     the objects sluice wrote in that round (read from s3rver's folder), each
#            PUT as a file of the same size by curl --aws-sigv4 into another bucket,
#            as many uploads at a time as sluice had LOAD files in flight (one per lane,
#            MaxFullLoadSubTasks); UNSIGNED-PAYLOAD, so curl hashes nothing
#
# MB/s = bytes of the objects / wall seconds (MB = 10^6 bytes). Rows are counted at the
# target: every object read back with a GET and its CSV records counted (line ends
# outside double quotes: the wide table's texts hold line breaks). Medians over ROUNDS rounds (default 3); curl needs the
# round's objects, so each round runs sluice, the count, then curl; s3rver starts on an
# empty folder each round. Run bench/pg_setup.sh first; take the bench lock around this:
#   SHARED_BENCH=/work/shared/bench flock -o /tmp/sluice-bench.lock bash bench/pg_setup.sh
#   flock -o /tmp/sluice-bench.lock bash bench/s3.sh
# Knobs: SLUICE (default build/sluice), ROUNDS, S3_BENCH_PORT (56540), LANES (2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SLUICE=${SLUICE:-$root/build/sluice}
export SLUICE_PLUGIN_PATH=${SLUICE_PLUGIN_PATH:-$(dirname "$SLUICE")/plugins}
rounds=${ROUNDS:-3}
port=${S3_BENCH_PORT:-56540}
lanes=${LANES:-2}
SRC_URI="host=127.0.0.1 port=${SRC_PORT_WIDE:-56535} dbname=src user=postgres"
export SRC_URI S3_KEY=S3RVER S3_SECRET=S3RVER
s3rver="$root/tests/s3/s3rver.sh"
work=$(mktemp -d /tmp/sluice-bench-s3.XXXXXX)
cleanup() { bash "$s3rver" stop "$work/s3" || true; cd /; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

rows=$(psql -X -At -d "$SRC_URI" -c 'SELECT count(*) FROM wide') ||
  { echo "no wide dataset on port ${SRC_PORT_WIDE:-56535}: run bench/pg_setup.sh first" >&2; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
put() { # FILE KEY: one PUT by curl, the body streamed from the file
  curl -sS -f -o /dev/null -T "$1" --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
       -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$port/limit/$2"
}
export -f put; export port
# CSV records on stdin: line ends outside double quotes ("" inside a value toggles twice)
count_records='
import sys
n, inside = 0, False
while True:
    buf = sys.stdin.buffer.read(1 << 22)
    if not buf:
        break
    for i, seg in enumerate(buf.split(b"\"")):
        if i:
            inside = not inside
        if not inside:
            n += seg.count(b"\n")
print(n)'

cat > wide.lua <<LUA
return {
  name = "s3bench",
  mode = "full-load",
  source = { plugin = "source-pg", conninfo = env "SRC_URI" },
  target = { plugin = "sink-s3", endpoint = "http://127.0.0.1:$port", bucketName = "wide",
             bucketFolder = "bench", access_key_id = env "S3_KEY", secret_access_key = env "S3_SECRET" },
  settings = { MaxFullLoadSubTasks = $lanes },
}
LUA
echo "sluice: $("$SLUICE" version 2>/dev/null | head -1) ($SLUICE); $rows rows; $rounds rounds; $lanes lanes"
printf 'round\tbytes\tobjects\trows_at_target\tsluice_s\tsluice_MBps\tpeak_rss_MiB\tcurl_s\tcurl_MBps\tratio\n' | tee results.tsv
for r in $(seq "$rounds"); do
  bash "$s3rver" start "$work/s3" "$port" > /dev/null
  bash "$s3rver" mkbucket "$port" wide
  bash "$s3rver" mkbucket "$port" limit
  rm -rf .sluice
  t0=$(now)
  /usr/bin/time -v "$SLUICE" run wide.lua > run.log 2> time.log || { tail -20 run.log time.log >&2; exit 1; }
  t1=$(now)
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.log)
  find "$work/s3/data/wide" -name 'LOAD*._S3rver_object' | sort > objects
  bytes=$(xargs stat -c %s < objects | awk '{s += $1} END {print s}')
  nobj=$(wc -l < objects)
  # rows at the target: every object read back through S3 and its lines counted
  got=0
  while read -r f; do
    key=${f#"$work/s3/data/wide/"}; key=${key%._S3rver_object}
    n=$(curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
          -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
          "http://127.0.0.1:$port/wide/$key" | python3 -c "$count_records")
    got=$((got + n))
  done < objects
  [ "$got" = "$rows" ] || { echo "round $r: $got rows at the target, the source has $rows" >&2; exit 1; }
  # the limit: the same bytes, as files of the same sizes, $lanes uploads at a time
  t2=$(now)
  awk '{print $0, "obj" NR}' objects | xargs -P "$lanes" -L 1 bash -c 'put "$0" "$1"'
  t3=$(now)
  lbytes=$(find "$work/s3/data/limit" -name '*._S3rver_object' -exec stat -c %s {} + | awk '{s += $1} END {print s}')
  [ "$lbytes" = "$bytes" ] || { echo "round $r: curl uploaded $lbytes bytes of $bytes" >&2; exit 1; }
  awk -v r="$r" -v b="$bytes" -v o="$nobj" -v n="$got" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v rss="$rss_kb" \
    'BEGIN { s = t1 - t0; c = t3 - t2; printf "%d\t%d\t%d\t%d\t%.2f\t%.1f\t%.0f\t%.2f\t%.1f\t%.2f\n",
             r, b, o, n, s, b / s / 1e6, rss / 1024, c, b / c / 1e6, (b / s) / (b / c) }' | tee -a results.tsv
  bash "$s3rver" stop "$work/s3"
done
echo "medians:"
for col in 6 7 9 10; do
  printf '  %s: %s\n' "$(head -1 results.tsv | cut -f$col)" "$(tail -n +2 results.tsv | cut -f$col | median)"
done
