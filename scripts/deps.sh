#!/usr/bin/env bash
# Installs what building and testing sluice needs, from Debian's packages.
# Skips apt-get entirely when everything is already there.
set -euo pipefail

packages=(build-essential cmake pkg-config liblua5.4-dev libjansson-dev
          libclang-rt-14-dev clang valgrind procps util-linux python3
          libpq-dev postgresql-15 postgresql-client-15)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}"
fi
