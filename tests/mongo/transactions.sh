# Multi-document transactions, written through pymongo (mg txn) to
# MONGO_BACKEND's server: the change events of one transaction (same lsid and
# txnNumber) become one source transaction, committed with the resume token of
# its last event; a write outside a transaction is a transaction of its own;
# the next transaction's first event, or an idle stream, ends the open one.
# Checked in the capture sink's journal (B / row / C records) and at a real
# PostgreSQL through sink-pg, then across a restart.
. "$(dirname "$0")/common.sh"

STATE='{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one"}], "orders": [{"_id": "o0"}]}}}'
mongo_start "$STATE"

add_writes() {
  mg insert shop items '{"_id": 10, "v": "n10"}'
  mg txn <<'OPS'
insert shop items {"_id": 11, "v": "n11"}
insert shop orders {"_id": "o1"}
update shop items {"_id": 1} {"$set": {"v": "ONE"}}
OPS
  mg txn <<'OPS'
delete shop items {"_id": 11}
OPS
  # with a write to a collection the pipeline does not select, in the middle
  mg txn <<'OPS'
insert shop items {"_id": 12, "v": "n12"}
insert other x {"_id": 1}
insert shop items {"_id": 13, "v": "n13"}
insert shop orders {"_id": "o2"}
OPS
}
SHOP_ONLY='mappings = { { rule = "include", schema = "shop", table = "%" } },'

# 1. the capture sink's journal: which rows each source transaction holds
cat > p1.lua <<LUA
return {
  name = "p1", mode = "full-load-and-cdc",
  source = { plugin = "source-mongo", uri = env "MONGO_URI" },
  target = { plugin = "capture", path = "p1.journal" },
  settings = { StatusIntervalMs = 100 },
  $SHOP_ONLY
}
LUA
start_cdc p1
add_writes
# one line per source transaction with rows: its rows' kinds and keys, then
# the resume token (_data) its COMMIT carries
groups() {
  "$PY" - p1.journal <<'PY'
import binascii, re, sys
out, rows = [], None
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "B":
        rows = []
    elif f[0] == "C" and rows is not None:
        if rows:  # the idle commits carry no rows
            token = re.search(rb"82[0-9A-F]{16,}", binascii.unhexlify(f[2]))
            out.append(" ".join(rows) + " @" + (token.group(0).decode() if token else "?"))
        rows = None
    elif rows is not None and f[0] in "IUD":
        rows.append(f[0] + ":" + f[2])  # kind, table, key (updates: the old key)
print("|".join(out))
PY
}
four() { [ "$(groups | tr '|' '\n' | grep -c .)" -ge 4 ]; }
wait_for 60 four || fail "not every transaction arrived: $(groups) $(tail -3 run.log)"
stop_sluice
got=$(groups)
echo "transactions in the journal: $got"
IFS='|' read -r g0 g1 g2 g3 rest <<< "$got"
[ -z "$rest" ] || fail "more transactions than were written: $got"
[ "${g0% @*}" = "I:10" ] || fail "a write outside a transaction is not one of its own: $g0"
[ "${g1% @*}" = "I:11 I:o1 U:1" ] || fail "the first transaction is not one source transaction: $g1"
[ "${g2% @*}" = "D:11" ] || fail "the second transaction is not one of its own: $g2"
[ "${g3% @*}" = "I:12 I:13 I:o2" ] || fail "the third transaction (with a write the pipeline skips) is wrong: $g3"
pass "one source transaction per MongoDB transaction (lsid + txnNumber), a lone write alone; an idle stream ends the last"

if mock_only "each COMMIT's token is the token of its transaction's last event"; then
  # the mock's events, in order: 0 lone insert, 1-3 first transaction, 4 second,
  # 5-8 third (6: other.x); a COMMIT carries the token of the last it took
  want=$("$PY" - events.jsonl <<'PY'
import sys
from bson import json_util
ev = [json_util.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("|".join(ev[k]["_id"]["_data"] for k in (0, 3, 4, 8)))
PY
)
  [ "${g0#* @}|${g1#* @}|${g2#* @}|${g3#* @}" = "$want" ] \
    || fail "COMMIT tokens ${g0#* @}|${g1#* @}|${g2#* @}|${g3#* @}, the last events' $want"
  pass "each COMMIT carries the resume token of its transaction's last event"
fi

# 2. the same into PostgreSQL, then a restart resumes after the last transaction
mongo_stop
mongo_start "$STATE"
write_pipeline p2.lua full-load-and-cdc
sed -i "s/^}\$/  $SHOP_ONLY\\n}/" p2.lua
start_cdc p2
add_writes
q="SELECT (SELECT string_agg(_id || ':' || (doc->>'v'), ',' ORDER BY _id) FROM shop.items) || ' ' || (SELECT string_agg(_id, ',' ORDER BY _id) FROM shop.orders)"
wait_for 60 tgt_is "$q" "1:ONE,10:n10,12:n12,13:n13 o0,o1,o2" || fail "target after the transactions: $(tgt -c "$q")"
pos_is() { tgt_is "SELECT position IS NOT NULL FROM sluice.sluice_checkpoint WHERE key = 'p2'" t; }
wait_for 30 pos_is || fail "no checkpoint"
stop_sluice
: > commands.log
mg insert shop items '{"_id": 14, "v": "n14"}'
start_cdc p2
wait_for 60 tgt_is "SELECT count(*) FROM shop.items WHERE _id = 14" 1 || fail "the write after the restart did not arrive"
tgt_is "$q" "1:ONE,10:n10,12:n12,13:n13,14:n14 o0,o1,o2" || fail "after the restart: $(tgt -c "$q")"
if mock_only "the restart's resumeAfter token"; then
  last=$("$PY" -c 'import sys; from bson import json_util; print([json_util.loads(l) for l in open("events.jsonl") if l.strip()][8]["_id"]["_data"])')
  grep -q "\"resumeAfter\": {\"_data\": \"$last\"" commands.log \
    || fail "the restart did not resume after the last transaction ($last): $(grep changeStream commands.log | head -2)"
fi
pass "into PostgreSQL: every transaction applied; a restart resumes after the last one, nothing twice"
stop_sluice
finish
