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
