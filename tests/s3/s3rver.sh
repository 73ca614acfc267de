#!/usr/bin/env bash
# A throwaway s3rver (npm s3rver@3.7.1) on loopback, in a folder of its own.
#   s3rver.sh start DIR PORT     installs s3rver into ${SLUICE_NPM_CACHE:-~/.cache/sluice-npm}
#                                if missing, starts it on 127.0.0.1:PORT with its data in
#                                DIR/data, records its PID in DIR/pid, waits until it answers
#   s3rver.sh restart DIR PORT   starts it again on the data already in DIR/data
#   s3rver.sh stop DIR           stops it by that PID
#   s3rver.sh mkbucket PORT NAME creates a bucket (s3rver's credentials S3RVER/S3RVER)
set -euo pipefail
cmd=${1:?start, stop or mkbucket}
CACHE=${SLUICE_NPM_CACHE:-$HOME/.cache/sluice-npm}
BIN="$CACHE/node_modules/s3rver/bin/s3rver.js"
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

case "$cmd" in
start)
  dir=${2:?folder}; port=${3:?port}
  if [ ! -f "$BIN" ]; then
    mkdir -p "$CACHE"
    (cd "$CACHE" && npm install --no-audit --no-fund --silent s3rver@3.7.1) ||
      { echo "could not install s3rver@3.7.1 with npm into $CACHE" >&2; exit 1; }
  fi
  "$0" stop "$dir" 2>/dev/null || true
  rm -rf "$dir"; mkdir -p "$dir/data"
  exec "$0" restart "$dir" "$port" ;;
restart) # start again on the data already there
  dir=${2:?folder}; port=${3:?port}
  # s3rver 3.7.1 makes ListObjectsV2 continuation tokens with a cipher OpenSSL 3 keeps in
  # its legacy provider: without it every truncated listing is HTTP 500 on Node >= 17
  node --openssl-legacy-provider "$BIN" -d "$dir/data" -a 127.0.0.1 -p "$port" --silent > "$dir/log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && { echo "s3rver up on 127.0.0.1:$port"; exit 0; }
    sleep 0.1
  done
  echo "s3rver did not start:" >&2; cat "$dir/log" >&2; exit 1 ;;
stop)
  dir=${2:?folder}
  [ -f "$dir/pid" ] || exit 0
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid" ;;
mkbucket)
  port=${2:?port}; name=${3:?bucket}
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
         -u S3RVER:S3RVER -H "x-amz-content-sha256: $EMPTY_SHA" "http://127.0.0.1:$port/$name")
  [ "$code" = 200 ] || { echo "could not create bucket $name: HTTP $code" >&2; exit 1; } ;;
esac
