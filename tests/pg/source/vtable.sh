#!/usr/bin/env bash
# Test 5: mode full-load (no slot, no publication) and cleanup, through the vtable.
. "$(dirname "$0")/common.sh"
: "${TEST_VTABLE:?set by ctest}" "${SOURCE_PG:?set by ctest}"
q -c "CREATE TABLE t (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"
"$TEST_VTABLE" "$SOURCE_PG" "$CONNINFO" "$SLOT" "$PUB" || fail "vtable checks failed"
pass "full-load mode makes no slot or publication; cleanup drops what sluice made"
finish
