# Shared by the s3_* runner tests: `sluice run` with the generator source into
# the fixture's s3rver (S3_PORT), each test in its own bucket, the result read
# back through botocore (s3_replay.py) and compared with generator-expect.
set -euo pipefail
: "${SLUICE:?set by ctest}" "${TEST_PLUGINS:?}" "${S3_PORT:?}" "${S3_TESTS:?}"
EXPECT="$TEST_PLUGINS/generator-expect"
ENDPOINT="http://127.0.0.1:$S3_PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sinks3-test.XXXXXX")
trap 'cd /; rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# make_bucket NAME
make_bucket() { BUCKET=$1; bash "$S3_TESTS/s3rver.sh" mkbucket "$S3_PORT" "$BUCKET"; }

# write_pipeline FILE MODE 'source options' 'extra target options' ['settings']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "generator", $3 },
  target = { plugin = "sink-s3", endpoint = "$ENDPOINT", bucketName = "$BUCKET",
             bucketFolder = "out", access_key_id = env "S3_KEY", secret_access_key = env "S3_SECRET",
             useCsvNoSupValue = true, csvNoSupValue = "__unchanged__", ${4:-} },
  settings = { StatusIntervalMs = 100, ${5:-} },
}
LUA
}
export S3_KEY=S3RVER S3_SECRET=S3RVER

# check_bucket 'replay options' GENERATOR-EXPECT-ARGS...: what the bucket holds, replayed,
# equals the generator's model
check_bucket() {
  local opts=$1; shift
  # shellcheck disable=SC2086
  /usr/bin/python3 "$S3_TESTS/s3_replay.py" "$ENDPOINT" "$BUCKET" out --no-sup __unchanged__ $opts \
    > got.out || fail "replay of bucket $BUCKET"
  "$EXPECT" "$@" > want.out || fail "generator-expect $*"
  diff got.out want.out > diff.out || { head -20 diff.out >&2; fail "bucket $BUCKET differs from the model"; }
}

# start_upload ENDPOINT BUCKET KEY: an unfinished multipart upload of KEY with one part;
# prints its UploadId
start_upload() {
  local url="$1/$2/$3" empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  local id part_sha
  id=$(curl -sf -X POST --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
         -H "x-amz-content-sha256: $empty" "$url?uploads=" |
       sed -n 's:.*<UploadId>\([^<]*\)</UploadId>.*:\1:p')
  [ -n "$id" ] || fail "could not start a multipart upload of $3"
  printf 'part one of %s\n' "$3" > part.bin
  part_sha=$(sha256sum part.bin | cut -d' ' -f1)
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -u S3RVER:S3RVER \
       -H "x-amz-content-sha256: $part_sha" --data-binary @part.bin \
       "$url?partNumber=1&uploadId=$id" > /dev/null || fail "could not upload a part of $3"
  echo "$id"
}
# upload_there BUCKET ID: s3rver still holds the unfinished upload ID
upload_there() { [ -f "$S3_DATA/$1/._S3rver_uploads/$2/key" ]; }
