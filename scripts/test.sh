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
# intercept_tls_get_addr=0: LeakSanitizer (GCC 12's runtime) scans the dynamic
# TLS blocks of dlopen'ed libraries (libpq's, under a plugin) and can read a
# stale range at exit: "Tracer caught signal 11" in ScanRangeForPointers, every
# time, on some machines (google/sanitizers#1267, fixed in LLVM by D147459).
# Without the interception the heap is still checked for leaks; only dynamic
# TLS is no longer a root.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0:${ASAN_OPTIONS:-}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}
# The tracer has also crashed at exit under load alone, so the sanitizer pass
# runs one test at a time, and a test that fails gets up to two more tries. The
# normal build above runs every test once, in parallel, strictly.
(cd build-asan && ctest --output-on-failure -j1 -LE no-asan --repeat until-pass:3)
