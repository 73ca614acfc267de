# Shared by the runner tests: paths, a temp dir, and the exactly-once check.
# Each test runs the real `sluice` binary with the test plugins (generator source,
# capture sink) and judges the target by replaying the capture journal.
set -euo pipefail

: "${SLUICE:?set by ctest}" "${TEST_PLUGINS:?set by ctest}"
REPLAY="$TEST_PLUGINS/capture-replay"
EXPECT="$TEST_PLUGINS/generator-expect"
export SLUICE_PLUGIN_PATH="$TEST_PLUGINS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; PASSED=$(( ${PASSED:-0} + 1 )); }
finish() { echo "${PASSED:-0} passed, 0 failed"; }

# write_pipeline FILE MODE 'source options' 'target options' ['settings']
write_pipeline() {
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "$2",
  source = { plugin = "generator", $3 },
  target = { plugin = "capture", $4 },
  settings = { StatusIntervalMs = 100, ${5:-} },
}
LUA
}

# check_state JOURNAL GENERATOR-ARGS...: the target equals the generator's model.
check_state() {
  local journal=$1; shift
  "$REPLAY" "$journal" > replay.out || fail "capture-replay rejected $journal (applied twice, lost or out of order)"
  "$EXPECT" "$@" > expect.out || fail "generator-expect $*"
  if ! diff -q expect.out replay.out >/dev/null; then
    diff expect.out replay.out | head -20 >&2
    fail "target differs from the source model ($*)"
  fi
}

# status_field PIPELINE-NAME JQ-LIKE-PYTHON-EXPR: reads the status file.
status_json() { cat ".sluice/$1/status.json"; }
