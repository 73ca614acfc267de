# Prerequisites against MONGO_BACKEND's server (common.sh): a standalone
# server (a mongod without --replSet, or the mock playing one) is refused for
# change capture (and serves a full load), a failed login ends in a clear
# error, and the password of the URI is never printed; with the mock server
# only, a privilege error from the server ends in a clear error.
. "$(dirname "$0")/common.sh"

mongo_start '{"setName": null, "dbs": {"shop": {"items": [{"_id": 1, "v": "a"}]}}}'
write_pipeline p1.lua full-load-and-cdc
if "$SLUICE" run p1.lua > run.log 2>&1; then fail "CDC on a standalone server was accepted"; fi
grep -q 'error: .*change capture needs a replica set or a sharded cluster' run.log || fail "no clear error: $(cat run.log)"
grep -q "detail: .*Server \"127.0.0.1:$MONGO_PORT\" is a standalone server" run.log || fail "no detail: $(cat run.log)"
grep -q 'hint: .*Start mongod with --replSet' run.log || fail "no hint: $(cat run.log)"
pass "a standalone server is refused for CDC, with detail and hint"

write_pipeline p2.lua full-load
"$SLUICE" run p2.lua > run.log 2>&1 || fail "full load from a standalone server failed: $(tail -5 run.log)"
tgt_is "SELECT _id || (doc->>'v') FROM shop.items" "1a" || fail "the standalone full load"
pass "a standalone server serves a full load"

if mock_only "a privilege error: the mock server refuses listDatabases as for a user without the privilege"; then
  mongo_stop
  mock_start '{"setName": "rs0", "dbs": {"shop": {"items": []}}, "fail": {"listDatabases":
    {"code": 13, "codeName": "Unauthorized", "errmsg": "not authorized on admin to execute command { listDatabases: 1 }"}}}'
  write_pipeline p3.lua full-load-and-cdc
  if "$SLUICE" run p3.lua > run.log 2>&1; then fail "a privilege error was ignored"; fi
  grep -q "error: .*could not list the databases of server \"127.0.0.1:$MOCK_PORT\"" run.log || fail "no clear error: $(cat run.log)"
  grep -q 'detail: .*not authorized on admin.*(error 13)' run.log || fail "no detail: $(cat run.log)"
  grep -q 'hint: Grant the user the read role' run.log || fail "no hint: $(cat run.log)"
  pass "a privilege error from the server is a clear error with a hint"
fi

# a login as a user the server does not have (the mock knows no SCRAM at all):
# authentication fails; the password stays hidden
export MONGO_URI="mongodb://sluice:Pw-S3cret-x9@127.0.0.1:$MONGO_PORT/?directConnection=true&serverSelectionTimeoutMS=3000"
write_pipeline p4.lua full-load
if "$SLUICE" run p4.lua > run.log 2>&1; then fail "a failed login was accepted"; fi
grep -q '^error: ' run.log || fail "no error: $(cat run.log)"
if grep -r 'Pw-S3cret-x9' run.log .sluice > /dev/null 2>&1; then fail "the password was printed: $(grep -r Pw-S3cret-x9 run.log .sluice)"; fi
pass "a failed login is an error; the password is printed nowhere"

export MONGO_URI="mongodb//nonsense"
write_pipeline p5.lua full-load
if "$SLUICE" run p5.lua > run.log 2>&1; then fail "a bad uri was accepted"; fi
grep -q 'error: .*invalid value for option "uri"' run.log || fail "no clear error: $(cat run.log)"
grep -q 'hint: Write it as mongodb://' run.log || fail "no hint: $(cat run.log)"
pass "a malformed uri is a clear error"
finish
