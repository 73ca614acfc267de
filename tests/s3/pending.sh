#!/usr/bin/env bash
# s3_pending: the start of a run after a crash in the middle of a change roll. The
# checkpoint object is put in the state a roll leaves between its first step and its
# last (the old position, and under "pending" the keys it was writing, here with
# awkward characters); those objects exist, as if half the roll's files were written.
# The next run deletes them with one DeleteObjects request (POST ?delete=, with
# Content-MD5; seen through tests/s3/mpu_mock.py, which here only passes requests on
# to s3rver and logs them), writes the checkpoint without them, and the bucket still
# replays to the generator's tables with every change once.
source "$(dirname "$0")/common.sh"
make_bucket pend
write_pipeline pend.lua full-load-and-cdc "tables = 2, rows = 200, txns = 300" "cdcMaxBatchInterval = 0"
"$SLUICE" run pend.lua > run.log 2>&1 || { tail -20 run.log; fail "first run"; }
check_bucket "" --tables 2 --rows 200 --txns 300

empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
put() { # put KEY-AS-URL-PATH FILE
  local sha; sha=$(sha256sum "$2" | cut -d' ' -f1)
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
       -H "x-amz-content-sha256: $sha" --data-binary @"$2" "$ENDPOINT/pend/$1" > /dev/null ||
    fail "could not put $1"
}
get() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
             -H "x-amz-content-sha256: $empty" "$ENDPOINT/pend/$1"; }
echo 'I,999999,half a roll' > junk.csv
put "out/gen/t1/20991231-2359599999-0000000000000000-1111111111111111.csv" junk.csv
put "out/gen/t2/a%20%26%20b%3Cc%3E.csv" junk.csv
get out/_sluice/pend.json > ck.json || fail "no checkpoint object"
python3 - ck.json <<'PY'
import json, sys
ck = json.load(open(sys.argv[1]))
ck["pending"] = ["out/gen/t1/20991231-2359599999-0000000000000000-1111111111111111.csv",
                 "out/gen/t2/a & b<c>.csv"]
json.dump(ck, open(sys.argv[1], "w"))
PY
put out/_sluice/pend.json ck.json

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 "$S3_TESTS/mpu_mock.py" "$port" "$S3_PORT" "$S3_DATA" requests.log &
proxy=$!
trap 'kill $proxy 2>/dev/null || true; wait $proxy 2>/dev/null || true; cd /; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
sed -i "s|endpoint = \"$ENDPOINT\"|endpoint = \"http://127.0.0.1:$port\"|" pend.lua
"$SLUICE" run pend.lua > run.log 2>&1 || { tail -20 run.log; fail "run after the crash"; }
[ "$(grep -c 'of an unfinished change roll' run.log)" = 2 ] || { cat run.log >&2; fail "not 2 objects removed"; }
[ "$(grep -c '^POST /pend?delete=$' requests.log)" = 1 ] || { cat requests.log >&2; fail "not one DeleteObjects"; }
grep -q '^DELETE ' requests.log && { cat requests.log >&2; fail "single DELETEs"; }
[ -z "$(find "$S3_DATA/pend/out/gen" -name '2099*' -o -name 'a & b*')" ] || fail "a pending object is still there"
get out/_sluice/pend.json | grep -q '"pending": \[\]' || fail "the checkpoint still lists pending keys"
check_bucket "" --tables 2 --rows 200 --txns 300
pass "pending objects of an unfinished roll removed by one DeleteObjects; every change once"

# s3rver writes objects in place: a checkpoint PUT cut by a crash leaves it empty
: > empty.json
put out/_sluice/pend.json empty.json
"$SLUICE" run pend.lua > run2.log 2>&1 || { tail -20 run2.log; fail "run after a cut checkpoint write"; }
grep -q "resuming from its copy" run2.log || { cat run2.log >&2; fail "the copy was not used"; }
check_bucket "" --tables 2 --rows 200 --txns 300
pass "an empty checkpoint object (a write cut short): resumed from its copy; every change once"
finish
