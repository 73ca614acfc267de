#!/usr/bin/env bash
# Runs the libFuzzer targets (clang, ASan+UBSan) for SECONDS each (default 60),
# starting from the committed seed corpus. CI runs the same targets over the
# corpus plus deterministic mutations with gcc (ctest pgoutput_fuzz_corpus,
# copybin_fuzz_corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash scripts/deps.sh
CC=clang cmake -S . -B build-fuzz -DSLUICE_FUZZ=ON -DBUILD_TESTING=ON > /dev/null
cmake --build build-fuzz --target fuzz_pgoutput fuzz_copybin fuzz_mybl -j"$(nproc)"
# fuzz TARGET CORPUS: one libFuzzer run on a copy of the committed seeds
fuzz() {
  local work
  work=$(mktemp -d)
  cp "$2"/* "$work/"
  "$1" -max_total_time="$seconds" -max_len=4096 "$work"
  rm -rf "$work"
}
fuzz build-fuzz/tests/pg/decoder/fuzz_pgoutput tests/pg/decoder/corpus
fuzz build-fuzz/tests/pg/source/fuzz_copybin tests/pg/source/copybin_corpus
fuzz build-fuzz/tests/mysql/binlog/fuzz_mybl tests/mysql/binlog/corpus
