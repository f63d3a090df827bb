#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# install-deps.sh — installs every Debian package tutela needs to build, run and test.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build clang clang-format libclang-rt-14-dev
  # libraries (DESIGN.md)
  libmicrohttpd-dev libjansson-dev libsodium-dev liboath-dev oathtool libsqlite3-dev sqlite3
  libgmime-3.0-dev libqrencode-dev
  libpq-dev libyaml-dev libcurl4-openssl-dev libarchive-dev
  # tests
  libcmocka-dev valgrind curl jq postgresql postgresql-contrib python3 wrk
  python3-aiosmtpd
  chromium
)
# Node.js and npm: use what the machine has (a vendor nodejs package already ships npm and
# conflicts with Debian's npm); otherwise Debian's.
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
