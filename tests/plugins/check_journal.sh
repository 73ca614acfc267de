#!/bin/sh
# The exactly-once check the runner tests use, on one journal:
#   check_journal.sh TOOL_DIR JOURNAL [generator-expect options...]
# Fails when capture-replay refuses the journal, or when its final state
# differs from what generator-expect computes for the same options.
set -eu
tools=$1
journal=$2
shift 2
replayed=$(mktemp)
expected=$(mktemp)
trap 'rm -f "$replayed" "$expected"' EXIT
"$tools/capture-replay" "$journal" > "$replayed"
"$tools/generator-expect" "$@" > "$expected"
if ! cmp -s "$expected" "$replayed"; then
    diff -u "$expected" "$replayed" | head -40 || true
    echo "journal $journal differs from generator-expect $*" >&2
    exit 1
fi
echo "journal $journal: $(wc -l < "$replayed") rows, identical to generator-expect"
