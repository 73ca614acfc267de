#!/usr/bin/env bash
# s3_errors: a missing bucket, an endpoint nobody listens on and unknown credentials
# each end the run with one clear message, and the secret key is never printed.
source "$(dirname "$0")/common.sh"
make_bucket errs
SECRET_TEXT="Sup3r-Secret-Key-Do-Not-Print"

run_expect() { # NAME PIPELINE PATTERN
  if "$SLUICE" run "$2" > out.log 2>&1; then fail "$1: the run succeeded"; fi
  grep -q "$3" out.log || { cat out.log >&2; fail "$1: no \"$3\" in the output"; }
  if grep -q "$SECRET_TEXT" out.log; then fail "$1: the secret key was printed"; fi
  grep -E "^(error|detail|hint):" out.log | sed "s/^/    /"
  pass "$1"
}

BUCKET=no-such-bucket write_pipeline nobucket.lua full-load "tables = 1, rows = 10"
run_expect "bad bucket" nobucket.lua 'bucket "no-such-bucket" does not exist'

ENDPOINT="http://127.0.0.1:1" write_pipeline noendpoint.lua full-load "tables = 1, rows = 10" \
  "max_retries = 1, connect_timeout = 2" "RetryLimit = 1"
run_expect "bad endpoint" noendpoint.lua 'could not reach S3 endpoint "http://127.0.0.1:1"'

S3_KEY=WRONGKEY S3_SECRET=$SECRET_TEXT write_pipeline badcreds.lua full-load "tables = 1, rows = 10"
S3_KEY=WRONGKEY S3_SECRET=$SECRET_TEXT run_expect "bad credentials" badcreds.lua 'Check the credentials'

write_pipeline badopt.lua full-load "tables = 1, rows = 10" "part_size = 1024"
run_expect "part_size below 5 MiB" badopt.lua 'invalid value for option "part_size"'
finish
