#!/usr/bin/env bash
# s3_multipart_s3rver: what s3rver 3.7.1 does with the sink's start-of-run cleanup of
# unfinished multipart uploads. s3rver lacks both operations the cleanup needs:
# ListMultipartUploads (GET ?uploads) is 501 NotImplemented and AbortMultipartUpload
# (DELETE ?uploadId=) is 405 MethodNotAllowed. This test proves that (so the day a
# newer s3rver has them, it fails and the cleanup can be tested against it directly)
# and that the sink then says so in its log and runs on, leaving the uploads alone.
# The cleanup itself is tested by s3_multipart_mock.
source "$(dirname "$0")/common.sh"
make_bucket mpu
mine=$(start_upload "$ENDPOINT" mpu out/gen/t1/LOAD00000009.csv)
other=$(start_upload "$ENDPOINT" mpu elsewhere/big.bin)
upload_there mpu "$mine" && upload_there mpu "$other" || fail "s3rver does not keep the uploads"

empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
list=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
       -H "x-amz-content-sha256: $empty" "$ENDPOINT/mpu?prefix=out%2F&uploads=")
abort=$(curl -s -o abort.xml -w '%{http_code}' -X DELETE --aws-sigv4 "aws:amz:us-east-1:s3" \
        -u S3RVER:S3RVER -H "x-amz-content-sha256: $empty" \
        "$ENDPOINT/mpu/out/gen/t1/LOAD00000009.csv?uploadId=$mine")
echo "    s3rver 3.7.1: ListMultipartUploads HTTP $list, AbortMultipartUpload HTTP $abort" \
     "($(sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p' abort.xml))"
[ "$list" = 501 ] || fail "ListMultipartUploads answered $list, not 501: test the cleanup against s3rver now"
[ "$abort" = 405 ] || fail "AbortMultipartUpload answered $abort, not 405: test the cleanup against s3rver now"
pass "s3rver lacks ListMultipartUploads (501) and AbortMultipartUpload (405)"

write_pipeline mpu.lua full-load "tables = 1, rows = 100, txns = 0"
"$SLUICE" run mpu.lua > run.log 2>&1 || { tail -20 run.log; fail "run"; }
grep -q 'the server cannot list multipart uploads (HTTP 501)' run.log ||
  { cat run.log >&2; fail "the sink did not say that it could not clean up"; }
upload_there mpu "$mine" && upload_there mpu "$other" || fail "an upload went away"
check_bucket "" --tables 1 --rows 100 --txns 0
pass "the sink logs that the server cannot list the uploads, runs on, both uploads stay"
finish
