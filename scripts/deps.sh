#!/usr/bin/env bash
# Installs what building and testing sluice needs, from Debian's packages.
# Skips apt-get entirely when everything is already there.
set -euo pipefail

packages=(build-essential cmake pkg-config liblua5.4-dev libjansson-dev libmicrohttpd-dev
          libclang-rt-14-dev clang valgrind procps util-linux python3
          libpq-dev postgresql-15 postgresql-client-15
          mariadb-server mariadb-client default-libmysqlclient-dev)
# sink-s3: libcurl (SigV4), libcrypto (hashes), zlib (gzip); its tests: s3rver from npm,
# python3-botocore to check signatures
packages+=(libcurl4-openssl-dev libssl-dev zlib1g-dev python3-botocore nodejs)
# source-mongo: libmongoc / libbson; its tests: a mock server in Python (python3-bson,
# python3-pymongo for Extended JSON)
packages+=(libmongoc-dev libbson-dev python3-bson python3-pymongo)
command -v npm > /dev/null || packages+=(npm) # nodesource's nodejs brings its own npm

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  # The server packages would start their system services (PostgreSQL on 5432,
  # MariaDB on 3306); the tests start throwaway servers of their own, so forbid
  # that for the install (policy-rc.d exit 101: invoke-rc.d starts nothing).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" > /dev/null
    $sudo_cmd chmod 755 "$policy"
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}" || rc=$?
  [ -n "$policy" ] && $sudo_cmd rm -f "$policy"
  [ "$rc" -eq 0 ] || exit "$rc"
fi
