#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the normal and the
# sanitizer (ASan + UBSan, with LeakSanitizer) builds, and runs ctest in both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh --asan
jobs=$(nproc 2>/dev/null || echo 2)

echo "== tests: build (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== tests: build-asan (AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}
# LeakSanitizer's stop-the-world tracer sometimes crashes at process exit when
# the machine is loaded ("Tracer caught signal 11", seen in source_pg_prereq's
# error paths under ctest -j2; never alone). So the sanitizer pass runs one test
# at a time, and a test that fails gets up to two more tries. The normal build
# above runs every test once, in parallel, strictly.
(cd build-asan && ctest --output-on-failure -j1 -LE no-asan --repeat until-pass:3)
