#!/usr/bin/env bash
# Config errors through the real CLI: file and line, nearest valid name, exit 3;
# and secrets never reach logs, errors, the status file or --help output.
. "$(dirname "$0")/common.sh"

cat > typo.lua <<'LUA'
return {
  mode = "full-load",
  source = { plugin = "generator",
    tabels = 3 },
  target = { plugin = "capture", path = "t.journal" },
}
LUA
rc=0; "$SLUICE" run typo.lua > typo.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat typo.log; fail "exit $rc for an unknown option"; }
grep -q 'typo.lua:4: unrecognized option "tabels" for source plugin "generator"' typo.log ||
  { cat typo.log; fail "unknown option message"; }
grep -q 'hint: Did you mean "tables"?' typo.log || { cat typo.log; fail "no nearest-name hint"; }
pass "unknown plugin option: file:line and Did you mean"

cat > type.lua <<'LUA'
return {
  mode = "full-load",
  source = { plugin = "generator", rows = "many" },
  target = { plugin = "capture", path = "t.journal" },
}
LUA
rc=0; "$SLUICE" run type.lua > type.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat type.log; fail "exit $rc for a wrong type"; }
grep -q 'type.lua:3: option "rows" of source plugin "generator" must be an integer' type.log ||
  { cat type.log; fail "wrong type message"; }
pass "wrong option type: file:line, exit 3"

sed -i 's/rows = "many"/rows = 5/' type.lua
sed -i 's/^}/  settings = { MaxFullLoadSubTask = 2 },\n}/' type.lua
rc=0; "$SLUICE" run type.lua > type2.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat type2.log; fail "exit $rc for an unknown setting"; }
grep -q 'type.lua:5: unrecognized option "MaxFullLoadSubTask"' type2.log &&
  grep -q 'Did you mean "MaxFullLoadSubTasks"' type2.log || { cat type2.log; fail "unknown setting message"; }
pass "unknown setting: file:line and the nearest setting"

cat > req.lua <<'LUA'
return {
  mode = "full-load",
  source = { plugin = "generator" },
  target = { plugin = "capture" },
}
LUA
rc=0; "$SLUICE" run req.lua > req.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat req.log; fail "exit $rc for a missing required option"; }
grep -q 'req.lua:4: sink plugin "capture" requires option "path"' req.log || { cat req.log; fail "missing option message"; }
pass "missing required option: file:line, exit 3"

# Secrets: an env secret given to a plugin option must not appear anywhere.
export SLUICE_TEST_SECRET="hunter2-$RANDOM-topsecret"
cat > secret.lua <<'LUA'
return {
  name = "sec",
  mode = "full-load",
  source = { plugin = "generator", tables = 1, rows = 10, label = env "SLUICE_TEST_SECRET" },
  target = { plugin = "capture", path = "s.journal" },
}
LUA
rc=0; "$SLUICE" --verbose run secret.lua > secret.log 2>&1 || rc=$?
"$SLUICE" --log-format json --verbose run secret.lua >> secret.log 2>&1 || true
"$SLUICE" --help >> secret.log 2>&1; "$SLUICE" run --help >> secret.log 2>&1
"$SLUICE" status sec >> secret.log 2>&1 || true
cat .sluice/sec/status.json .sluice/sec/progress.json >> secret.log 2>/dev/null || true
if grep -rq "$SLUICE_TEST_SECRET" secret.log .sluice; then fail "the secret appears in output or state"; fi
grep -q 'unrecognized option "label"' secret.log || { cat secret.log; fail "expected the unknown-option error for label"; }
pass "an env secret never appears in logs, errors, --help, status or state files"

# A secret in a known option reaches the plugin yet is redacted if a plugin logs it.
cat > secret2.lua <<'LUA'
return {
  name = "sec2",
  mode = "full-load",
  source = { plugin = "generator", tables = 1, rows = 10 },
  target = { plugin = "capture", path = file "secret_path.txt" },
}
LUA
printf '%s\n' "s2-$SLUICE_TEST_SECRET.journal" > secret_path.txt
"$SLUICE" --verbose run secret2.lua > secret2.log 2>&1 || { cat secret2.log; fail "file secret run exited $?"; }
[ -s "s2-$SLUICE_TEST_SECRET.journal" ] || fail "the plugin did not receive the file secret"
if grep -q "$SLUICE_TEST_SECRET" secret2.log .sluice/sec2/status.json; then fail "file secret leaked"; fi
pass "a file secret reaches the plugin and is never printed"
finish
