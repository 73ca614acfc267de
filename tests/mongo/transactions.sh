# Multi-document transactions through the MOCK MongoDB server: the change
# events of one transaction (same lsid and txnNumber) become one source
# transaction, committed with the resume token of its last event; a lone
# event is a transaction of its own; the next transaction's first event, or
# an idle stream, ends the open one. Checked in the capture sink's journal
# (B / row / C records) and at a real PostgreSQL through sink-pg.
. "$(dirname "$0")/common.sh"

STATE='{"setName": "rs0", "dbs": {"shop": {"items": [{"_id": 1, "v": "one"}], "orders": [{"_id": "o0"}]}}}'
mock_start "$STATE"

# the session ids of two clients, as the server puts them in each event of a transaction
L1='"lsid": {"id": {"$binary": {"base64": "EjRWeJq8Te+AAQIDBAUGBw==", "subType": "04"}}, "uid": {"$binary": {"base64": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "subType": "00"}}}'
L2='"lsid": {"id": {"$binary": {"base64": "ASNFZ4mrTe+AAQIDBAUGCA==", "subType": "04"}}, "uid": {"$binary": {"base64": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "subType": "00"}}}'
txn() { printf '%s, "txnNumber": {"$numberLong": "%s"}' "$1" "$2"; }
ins() { # ins COLL ID [TXN-FIELDS]: a document {_id: ID, v: "n" ID}
  local v=${2//\"/}
  mock_event "{\"operationType\": \"insert\", \"ns\": {\"db\": \"shop\", \"coll\": \"$1\"}, \"documentKey\": {\"_id\": $2}, \"fullDocument\": {\"_id\": $2, \"v\": \"n$v\"}${3:+, $3}}"
}
add_events() {
  ins items 10                                                        # event 0: alone
  ins items 11 "$(txn "$L1" 1)"                                       # 1-3: L1, txnNumber 1
  ins orders '"o1"' "$(txn "$L1" 1)"
  mock_event "{\"operationType\": \"update\", \"ns\": {\"db\": \"shop\", \"coll\": \"items\"}, \"documentKey\": {\"_id\": 1}, \"updateDescription\": {\"updatedFields\": {\"v\": \"ONE\"}, \"removedFields\": []}, \"fullDocument\": {\"_id\": 1, \"v\": \"ONE\"}, $(txn "$L1" 1)}"
  mock_event "{\"operationType\": \"delete\", \"ns\": {\"db\": \"shop\", \"coll\": \"items\"}, \"documentKey\": {\"_id\": 11}, $(txn "$L1" 2)}"  # 4: L1, next txnNumber
  ins items 12 "$(txn "$L2" 1)"                                       # 5-8: L2, txnNumber 1
  mock_event "{\"operationType\": \"insert\", \"ns\": {\"db\": \"other\", \"coll\": \"x\"}, \"documentKey\": {\"_id\": 1}, \"fullDocument\": {\"_id\": 1}, $(txn "$L2" 1)}"
  ins items 13 "$(txn "$L2" 1)"
  ins orders '"o2"' "$(txn "$L2" 1)"                                  # (6: excluded) 8: the last
}

# 1. the capture sink's journal: which rows each source transaction holds
cat > p1.lua <<LUA
return {
  name = "p1", mode = "full-load-and-cdc",
  source = { plugin = "source-mongo", uri = env "MONGO_URI" },
  target = { plugin = "capture", path = "p1.journal" },
  settings = { StatusIntervalMs = 100 },
  mappings = { { rule = "include", schema = "shop", table = "%" } },
}
LUA
start_cdc p1
add_events
# one line per source transaction: its rows' kinds and keys, then its COMMIT's token
groups() {
  "$PY" - p1.journal <<'PY'
import binascii, re, sys
out, rows = [], None
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "B":
        rows = []
    elif f[0] == "C" and rows is not None:
        if rows:  # idle commits carry no rows
            token = re.search(rb"82[0-9A-F]{16}", binascii.unhexlify(f[2]))
            out.append(" ".join(rows) + " @" + (token.group(0).decode() if token else "?"))
        rows = None
    elif rows is not None and f[0] in "IUD":
        rows.append(f[0] + ":" + f[2])  # kind, table, key (updates: the old key)
print("|".join(out))
PY
}
tok() { printf '82%08X%08X' $(( 1700001000 + 1 + $1 )) 1; } # the mock's token of event k
wait_for 60 test -s p1.journal || fail "no journal"
got_ok() { [ "$(groups | tr '|' '\n' | wc -l)" -ge 4 ]; }
wait_for 60 got_ok || fail "not every transaction arrived: $(groups) $(tail -3 run.log)"
stop_sluice
got=$(groups)
echo "transactions in the journal: $got"
IFS='|' read -r g0 g1 g2 g3 rest <<< "$got"
[ -z "$rest" ] || fail "more transactions than the source had: $got"
[ "$g0" = "I:10 @$(tok 0)" ] || fail "a lone insert is not its own transaction: $g0"
case "$g1" in "I:11 I:\"o1\" U:1 @$(tok 3)" | "I:11 I:o1 U:1 @$(tok 3)") ;;
  *) fail "L1's transaction 1 is not one transaction ending at its last event's token: $g1";; esac
[ "$g2" = "D:11 @$(tok 4)" ] || fail "the next txnNumber of the same session is not a transaction of its own: $g2"
case "$g3" in "I:12 I:13 I:\"o2\" @$(tok 8)" | "I:12 I:13 I:o2 @$(tok 8)") ;;
  *) fail "L2's transaction (with an event of an unselected collection inside) is wrong: $g3";; esac
pass "one source transaction per MongoDB transaction (lsid + txnNumber), committed at its last event's token; lone events alone; an idle stream ends the last"

# 2. the same into PostgreSQL, then a restart resumes after the last transaction
kill -9 "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
mock_start "$STATE"
write_pipeline p2.lua full-load-and-cdc
sed -i 's/^}$/  mappings = { { rule = "include", schema = "shop", table = "%" } },\n}/' p2.lua
start_cdc p2
add_events
q="SELECT (SELECT string_agg(_id || ':' || (doc->>'v'), ',' ORDER BY _id) FROM shop.items) || ' ' || (SELECT string_agg(_id, ',' ORDER BY _id) FROM shop.orders)"
wait_for 60 tgt_is "$q" "1:ONE,10:n10,12:n12,13:n13 o0,o1,o2" || fail "target after the transactions: $(tgt -c "$q")"
pos_is() { tgt_is "SELECT position IS NOT NULL FROM sluice.sluice_checkpoint WHERE key = 'p2'" t; }
wait_for 30 pos_is || fail "no checkpoint"
stop_sluice
: > commands.log
ins items 14
start_cdc p2
wait_for 60 tgt_is "SELECT count(*) FROM shop.items WHERE _id = 14" 1 || fail "the change after the restart did not arrive"
grep -q "\"resumeAfter\": {\"_data\": \"$(tok 8)" commands.log || fail "the restart did not resume after the last transaction: $(grep changeStream commands.log | head -2)"
tgt_is "$q" "1:ONE,10:n10,12:n12,13:n13,14:n14 o0,o1,o2" || fail "after the restart: $(tgt -c "$q")"
pass "into PostgreSQL: every transaction applied; a restart resumes after the last one's last event"
stop_sluice
finish
