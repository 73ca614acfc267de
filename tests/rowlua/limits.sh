#!/usr/bin/env bash
# Row functions that fail: a Lua error, an endless loop (the watchdog's
# time budget, 1 s per row), a memory hog (the cap), a sandbox escape. Each
# stops its table with a message naming the script, the line, the table and
# the rule, never a crash.
. "$(dirname "$0")/../runner/common.sh"

# run_fn NAME MODE 'factory body' EXPECTED-EXIT 'message regex'
run_fn() {
  local name=$1 mode=$2 body=$3 want=$4 re=$5
  cat > "$name.lua" <<LUA
return {
  mode = "$mode",
  source = { plugin = "generator", tables = 1, rows = 20, txns = 10 },
  target = { plugin = "capture", path = "$name.journal" },
  mappings = {
    { rule = "row-function", schema = "gen", table = "t1", fn = function(t)
$body
      end },
  },
}
LUA
  local rc=0
  "$SLUICE" run "$name.lua" > "$name.log" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || { cat "$name.log"; fail "$name: exit $rc, expected $want"; }
  grep -Eq "$re" "$name.log" || { cat "$name.log"; fail "$name: no message matching: $re"; }
  grep -qiE 'sanitizer|segmentation|panic|unprotected' "$name.log" && { cat "$name.log"; fail "$name: crashed"; }
  return 0
}

ctx='\(table gen\.t1, row-function mappings\[1\]\)'
run_fn err full-load '        return function(row)
          if row:get("id") == 3 then error("no thanks") end
        end' 7 "error: err\.lua:8: no thanks $ctx"
pass "a Lua error fails the table (exit 7, transform) naming script, line, table and rule"

run_fn errcdc cdc-only '        return function(row) local x = nil; return x.y end' 7 \
  "errcdc\.lua:7: attempt to index a nil value.*$ctx"
pass "in CDC a Lua error stops the run with exit 7 (transform)"

run_fn loop full-load '        return function(row)
          while true do end
        end' 7 "loop\.lua:8: row function ran longer than 1000 ms $ctx"
grep -q 'hint: Look for a loop that never ends' loop.log || fail "no hint for the endless loop"
grep -q 'detail: A row function may run for at most 1000 ms per row' loop.log || fail "no detail for the endless loop"
pass "an endless loop is stopped by the per-row time budget"

run_fn pcallloop full-load '        return function(row)
          while true do pcall(function() while true do end end) end
        end' 7 "pcallloop\.lua:8: row function ran longer than 1000 ms $ctx"
pass "pcall cannot catch the budget"

# 1 MiB strings, so the cap comes well before the 1 s time budget (even under
# ASan); string.rep of one character copies byte by byte, so rep a 4 KiB one.
run_fn mem full-load '        return function(row)
          local t, s = {}, string.rep(string.rep("x", 4096), 256)
          for i = 1, 1e9 do t[i] = s .. i end
        end' 7 "mem\.lua: row function exceeded its memory limit $ctx"
pass "the memory cap stops a growing table"

for escape in 'io.open("/etc/passwd")' 'os.exit(1)' 'require("os")' 'load("return 1")' \
              'debug.getinfo(1)' 'string.dump(print)' 'loadfile("/etc/passwd")' 'package.loadlib("x", "y")'; do
  run_fn esc full-load "        return function(row) $escape end" 7 "esc\.lua:7: .*$ctx"
done
grep -q 'is not available in a pipeline file' esc.log || fail "escape message"
pass "io, os, require, load, debug, string.dump, loadfile, package are out of reach"

run_fn factory full-load '        local c = t:column("nope")
        return function(row) end' 7 "factory\.lua:7: the mapped table \"t1\" has no column \"nope\".*$ctx"
pass "a factory naming a missing column fails the table with its line"

run_fn badret full-load '        return 42' 7 'badret\.lua:6: mappings\[1\]: fn returned number, not the row function'
pass "a factory returning something else than a function is refused"

run_fn badset full-load '        return function(row) row:set("n1", {}) end' 7 \
  "badset\.lua:7: cannot store table in column \"n1\" \(for NULL use sluice.null\) $ctx"
pass "storing a table is an error that says how to write NULL"

cat > notfn.lua <<'LUA'
return {
  mode = "full-load",
  source = { plugin = "generator", tables = 1, rows = 20 },
  target = { plugin = "capture", path = "nf.journal" },
  mappings = {
    { rule = "row-function", schema = "gen", table = "t1", fn = "upper" },
  },
}
LUA
rc=0; "$SLUICE" run notfn.lua > notfn.log 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat notfn.log; fail "fn that is not a function: exit $rc, expected 3"; }
grep -q 'notfn.lua:6: rule mappings\[1\]: "fn" must be a function, not string' notfn.log || { cat notfn.log; fail "notfn message"; }
pass "fn must be a function (configuration error, exit 3)"
finish
