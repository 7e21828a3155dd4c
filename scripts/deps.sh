#!/bin/bash
# Install what strata needs to build, test and demo, from Debian's packages.
# Only missing packages are installed; safe to run again.
set -eu
pkgs=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libzstd-dev libsqlite3-dev
      libxxhash-dev libssl-dev libcurl4-openssl-dev python3 sqlite3 zstd python3-prometheus-client
      systemd groff-base "$@")
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
