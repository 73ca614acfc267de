#!/usr/bin/env bash
# The mask transform (transforms/mask) in real pipelines: generator source ->
# mask -> capture sink. Hashed values equal an independent HMAC-SHA256 (Python's
# hmac) of the generator's values, keys hashed in new and old rows still replay
# exactly once, NULL and UNCHANGED pass untouched, two runs and two tables hash
# alike, and bad options fail with their exact messages.
. "$(dirname "$0")/../runner/common.sh"
: "${MASK_PLUGIN_DIR:?set by ctest}"
export SLUICE_PLUGIN_PATH="$TEST_PLUGINS:$MASK_PLUGIN_DIR"
export MASK_KEY="mask-test-key-$RANDOM-do-not-print"

# masked MODE ARG < generator-expect output: the rows as the mask transform leaves them.
#   hmac KEY:LEN:COLS   hmac-sha256 under KEY, LEN hex digits (0: 64), of column numbers COLS
#   redact TEXT:COLS    TEXT instead of the value;  null COLS: \N
# Column numbers count from 0 = id (capture-replay's field 1). \N stays \N.
masked() {
  python3 -c '
import hashlib, hmac, sys
mode, arg = sys.argv[1], sys.argv[2]
unesc = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "0": "\0"}
def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            out.append(unesc[s[i + 1]]); i += 2
        else:
            out.append(s[i]); i += 1
    return "".join(out)
if mode == "hmac":
    key, length, cols = arg.split(":", 2)
    length = int(length) or 64
    f = lambda v: hmac.new(key.encode(), unescape(v).encode(), hashlib.sha256).hexdigest()[:length]
elif mode == "redact":
    text, cols = arg.rsplit(":", 1)
    f = lambda v: text
else:
    cols = arg
    f = lambda v: "\\N"
cols = {int(c) + 1 for c in cols.split(",")}
for line in sys.stdin:
    fields = line.rstrip("\n").split("\t")
    print("\t".join(f(v) if i in cols and v != "\\N" else v for i, v in enumerate(fields)))
' "$@"
}

# same EXPECTED REPLAYED WHAT: the two row sets are equal (in any order).
same() {
  sort "$1" > "$1.sorted"; sort "$2" > "$2.sorted"
  diff -q "$1.sorted" "$2.sorted" > /dev/null || { diff "$1.sorted" "$2.sorted" | head >&2; fail "$3"; }
}

# ---- hmac-sha256 through full load and CDC, keys included ----
GEN='tables = 2, rows = 300, columns = 5, txns = 400, ops_per_txn = 3, history = 5, special_text = true, chunk_rows = 100'
EXPECT_ARGS=(--tables 2 --rows 300 --columns 5 --txns 400 --ops-per-txn 3 --history 5 --special-text)
mask_pipeline() { # FILE JOURNAL 'mask options'
  cat > "$1" <<LUA
return {
  name = "${1%.lua}",
  mode = "full-load-and-cdc",
  source = { plugin = "generator", $GEN },
  transforms = { { plugin = "mask", $3 } },
  target = { plugin = "capture", path = "$2" },
  settings = { BatchRows = 64, MaxFullLoadSubTasks = 2, FullLoadChunkRows = 100 },
}
LUA
}
mask_pipeline h1.lua h1.journal 'columns = "gen.%.id, gen.%.s%", key = env "MASK_KEY"'
"$SLUICE" --verbose run h1.lua > h1.log 2>&1 || { cat h1.log; fail "hmac pipeline exited $?"; }
"$REPLAY" h1.journal > h1.out || fail "capture-replay rejected the journal: hashed keys of updates/deletes did not match"
"$EXPECT" "${EXPECT_ARGS[@]}" | masked hmac "$MASK_KEY:0:0,2,4" > h1.expect
same h1.expect h1.out "hashed rows differ from HMAC-SHA256 of the source values"
pass "full load + CDC: id, s1, s2 are the HMAC-SHA256 of their values; n1, n2 untouched; exactly once"

grep -qP '^U\tgen\.t\d+\t[0-9a-f]{64}\t[0-9a-f]{64}\t-?\d+\t\\U\t' h1.journal ||
  fail "no update with an UNCHANGED s1 reached the sink as UNCHANGED"
grep -qP '^[SIU]\tgen\.t\d+\t.*\t\\N$' h1.journal || fail "no NULL s2 reached the sink as NULL"
if grep -P '^[SI]\tgen' h1.journal | cut -f3,5 | grep -vqP '^[0-9a-f]{64}\t[0-9a-f]{64}$'; then
  fail "an id or s1 value reached the sink unhashed"
fi
pass "UNCHANGED stays UNCHANGED, NULL stays NULL, nothing selected leaks through"

if grep -rqF "$MASK_KEY" h1.log .sluice; then fail "the key appears in the log or the state"; fi
pass "the key never appears in the log (--verbose) or the state files"

# ---- determinism: another run, other lanes and batch sizes, the same rows ----
mask_pipeline h2.lua h2.journal 'columns = "gen.%.id, gen.%.s%", key = env "MASK_KEY"'
sed -i 's/BatchRows = 64, MaxFullLoadSubTasks = 2/BatchRows = 17, MaxFullLoadSubTasks = 1/' h2.lua
"$SLUICE" run h2.lua > h2.log 2>&1 || { cat h2.log; fail "second hmac run exited $?"; }
"$REPLAY" h2.journal > h2.out || fail "capture-replay rejected the second journal"
cmp -s h1.out h2.out || fail "two runs with the same key hashed differently"
pass "two runs with the same key give the same rows"

# the same ids in two tables hash alike (keys still join); another key hashes otherwise
cut -f1,2 h1.out | awk -F'\t' '$1 == "gen.t1" { print $2 }' | sort > t1.ids
cut -f1,2 h1.out | awk -F'\t' '$1 == "gen.t2" { print $2 }' | sort > t2.ids
"$EXPECT" "${EXPECT_ARGS[@]}" | awk -F'\t' '$1 == "gen.t1" { print $2 }' | sort > t1.raw
"$EXPECT" "${EXPECT_ARGS[@]}" | awk -F'\t' '$1 == "gen.t2" { print $2 }' | sort > t2.raw
[ "$(comm -12 t1.raw t2.raw | wc -l)" -gt 100 ] || fail "the model's tables share too few ids to compare"
[ "$(comm -12 t1.ids t2.ids | wc -l)" = "$(comm -12 t1.raw t2.raw | wc -l)" ] ||
  fail "equal ids in gen.t1 and gen.t2 did not hash equally"
pass "equal values in two tables hash equally ($(comm -12 t1.ids t2.ids | wc -l) shared ids)"

mask_pipeline h3.lua h3.journal 'columns = "gen.%.id", key = "another key", length = 20'
"$SLUICE" run h3.lua > h3.log 2>&1 || { cat h3.log; fail "run with another key exited $?"; }
"$REPLAY" h3.journal > h3.out || fail "capture-replay rejected the length-20 journal"
"$EXPECT" "${EXPECT_ARGS[@]}" | masked hmac "another key:20:0" > h3.expect
same h3.expect h3.out "length = 20 rows differ from the first 20 digits of HMAC-SHA256"
[ -z "$(comm -12 <(cut -f2 h1.out | cut -c1-20 | sort -u) <(cut -f2 h3.out | sort -u))" ] ||
  fail "another key gave some of the same hashes"
pass "another key gives other hashes; length = 20 keeps 20 digits"

# ---- redact and null, two mask steps in one chain ----
mask_pipeline r1.lua r1.journal 'columns = "gen.%.s1", method = "redact", replacement = "[gone]" }, { plugin = "mask", columns = "gen.t2.n%, !%.%.n1", method = "null"'
"$SLUICE" run r1.lua > r1.log 2>&1 || { cat r1.log; fail "redact/null pipeline exited $?"; }
"$REPLAY" r1.journal > r1.out || fail "capture-replay rejected the redact/null journal"
"$EXPECT" "${EXPECT_ARGS[@]}" | masked redact "[gone]:2" > r1.step1
grep '^gen\.t1' r1.step1 > r1.expect
grep '^gen\.t2' r1.step1 | masked null 3 >> r1.expect
same r1.expect r1.out "redact + null rows differ"
grep -qP '^U\tgen\.t\d+\t\d+\t\d+\t-?\d+\t\\U\t' r1.journal || fail "redact: UNCHANGED s1 did not stay UNCHANGED"
pass "redact and null in a chain of two mask steps: s1 is [gone], gen.t2.n2 is NULL, the rest as it was"

# ---- bad options: exact messages and exit codes ----
expect_failure() { # NAME EXIT 'mask options' LINE...
  local name=$1 want=$2 opts=$3; shift 3
  mask_pipeline "$name.lua" "$name.journal" "$opts"
  local rc=0
  "$SLUICE" run "$name.lua" > "$name.log" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || { cat "$name.log"; fail "$name: exit $rc, expected $want"; }
  for line in "$@"; do
    grep -qxF -- "$line" "$name.log" || { cat "$name.log"; fail "$name: no line: $line"; }
  done
  if grep -rqF "$MASK_KEY" "$name.log"; then fail "$name: the key appears in the log"; fi
}
expect_failure nokey 7 'columns = "gen.%.s1"' \
  'error: transform "mask", in the open callback: method "hmac-sha256" needs a key' \
  'detail: Option "key" is not set.' \
  'hint: Add key = env "NAME" or key = file "/path" to the transform'"'"'s section, with a long random secret; keep it to hash the same values the same way in later runs.'
expect_failure badmethod 3 'columns = "gen.%.s1", method = "scramble"' \
  'error: badmethod.lua:5: invalid value for option "method" of transform plugin "mask": "scramble"' \
  'hint: Valid values are "hmac-sha256", "redact" and "null".'
expect_failure badpattern 7 'columns = "gen.%.s1, t1.id", key = env "MASK_KEY"' \
  'error: transform "mask", in the open callback: invalid columns pattern "t1.id": too few names' \
  'detail: A pattern names a column as schema.table.column (three names); this one has 2.' \
  'hint: Write each pattern as schema.table.column, with % for any run of characters and _ for one, and separate patterns with commas: "public.users.email, %.%.ssn". Put a name in double quotes to match it literally ("my.schema".users.email).'
expect_failure badlength 7 'columns = "gen.%.s1", key = env "MASK_KEY", length = 65' \
  'error: transform "mask", in the open callback: option "length" must be between 1 and 64, not 65'
expect_failure unusedkey 7 'columns = "gen.%.s1", method = "redact", key = env "MASK_KEY"' \
  'error: transform "mask", in the open callback: option "key" is not used by method "redact"' \
  'detail: Only method "hmac-sha256" uses options "key" and "length".' \
  'hint: Remove "key", or set method = "hmac-sha256".'
expect_failure typo 3 'colums = "gen.%.s1", key = env "MASK_KEY"' \
  'error: typo.lua:5: unrecognized option "colums" for transform plugin "mask"'
expect_failure nullkey 8 'columns = "gen.%.%", method = "null"' \
  'error: transform "mask", in the map_schema callback, table "gen.t1": cannot mask key column "id" of table "gen.t1" with method "null"'
[ ! -s nullkey.journal ] || ! grep -q '^S' nullkey.journal || fail "nullkey: rows reached the sink"
pass "bad options fail with their exact messages: missing key, unknown method, pattern syntax, length, unused key, typo, null on a key"
finish
