#!/usr/bin/env bash
# s3_multipart_mock: the sink's start-of-run cleanup of unfinished multipart uploads,
# through a MOCK of the two operations s3rver 3.7.1 lacks (tests/s3/mpu_mock.py: it
# answers ListMultipartUploads and AbortMultipartUpload from s3rver's own folder of
# unfinished uploads and passes every other request to the real s3rver; see
# s3_multipart_s3rver). An unfinished upload under the pipeline's bucketFolder is
# aborted, one under another prefix is left alone, and with no bucketFolder the sink
# cannot tell its uploads from others' and aborts none.
source "$(dirname "$0")/common.sh"
echo "    MOCK: ListMultipartUploads and AbortMultipartUpload are answered by mpu_mock.py"
make_bucket mpumock
mine=$(start_upload "$ENDPOINT" mpumock out/gen/t1/LOAD00000009.csv)
mine2=$(start_upload "$ENDPOINT" mpumock out/_sluice/x.json)
other=$(start_upload "$ENDPOINT" mpumock outside/big.bin)
nofolder=$(start_upload "$ENDPOINT" mpumock gen/t1/LOAD00000001.csv)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 "$S3_TESTS/mpu_mock.py" "$port" "$S3_PORT" "$S3_DATA" requests.log &
mock=$!
trap 'kill $mock 2>/dev/null || true; wait $mock 2>/dev/null || true; cd /; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
ENDPOINT="http://127.0.0.1:$port"

write_pipeline mpu.lua full-load "tables = 1, rows = 100, txns = 0"
"$SLUICE" run mpu.lua > run.log 2>&1 || { tail -20 run.log; fail "run"; }
grep -q 'aborted 2 unfinished multipart uploads under "out/"' run.log ||
  { cat run.log >&2; fail "the sink did not report aborting 2 uploads"; }
grep -q '^GET /mpumock?prefix=out%2F&uploads=$' requests.log ||
  { cat requests.log >&2; fail "the sink did not list the uploads under out/"; }
upload_there mpumock "$mine" && fail "the upload under out/ is still there"
upload_there mpumock "$mine2" && fail "the upload under out/_sluice/ is still there"
upload_there mpumock "$other" || fail "the upload under outside/ was aborted"
upload_there mpumock "$nofolder" || fail "the upload under gen/ was aborted"
[ "$(grep -c '^DELETE .*uploadId=' requests.log)" = 2 ] || { cat requests.log >&2; fail "not 2 aborts"; }
check_bucket "" --tables 1 --rows 100 --txns 0
pass "the 2 unfinished uploads under bucketFolder out/ aborted, outside/ and gen/ untouched"

sed -i 's/bucketFolder = "out", //' mpu.lua
: > requests.log
"$SLUICE" run mpu.lua > run.log 2>&1 || { tail -20 run.log; fail "run without bucketFolder"; }
grep -q 'no bucketFolder' run.log || { cat run.log >&2; fail "no word on the skipped cleanup"; }
grep -q 'uploads' requests.log && { cat requests.log >&2; fail "uploads listed without a bucketFolder"; }
upload_there mpumock "$other" && upload_there mpumock "$nofolder" || fail "an upload was aborted"
pass "no bucketFolder: no upload is aborted, and the log says why"
finish
