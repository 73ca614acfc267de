#!/usr/bin/env bash
# Starts a throwaway MariaDB (scripts/mariadb-throwaway.sh), runs
# binlog_server against it, and stops it by its PID whatever happens.
#   run_server.sh BINARY THROWAWAY_SCRIPT PORT [CORPUS_DIR]
set -euo pipefail
bin=$1; throwaway=$2; port=$3; corpus=${4:-}
dir=$(mktemp -d /tmp/mybl-server.XXXXXX)
trap 'bash "$throwaway" stop "$dir"; rm -rf "$dir"' EXIT
bash "$throwaway" start "$dir" "$port" "max_allowed_packet=64M"
"$bin" "$port" "$dir/data" $corpus
