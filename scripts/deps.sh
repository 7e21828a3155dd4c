#!/bin/bash
# Install what strata needs to build, test and demo, from Debian's packages.
# Only missing packages are installed; safe to run again.
#   scripts/deps.sh [PKG...] [--no-recommends PKG...]
# Packages named after --no-recommends are installed without their
# Recommends (apt's default here is to install them): for big optional
# stacks such as Ceph (tests/integration/rgw.sh), whose Recommends would
# pull in ceph-mds, a time daemon and ~50 more packages.  The others keep
# their Recommends: gcc needs the libc6-dev it only recommends.
set -eu
pkgs=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libzstd-dev libsqlite3-dev
      libxxhash-dev libssl-dev libcurl4-openssl-dev python3 sqlite3 zstd python3-prometheus-client
      systemd groff-base)
norec=()
while (($#)); do
    if [ "$1" = --no-recommends ]; then
        shift
        norec+=("$@")
        break
    fi
    pkgs+=("$1")
    shift
done
missing=() missing_norec=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
for p in "${norec[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing_norec+=("$p")
done
if ((${#missing[@]} + ${#missing_norec[@]})); then
    echo "installing: ${missing[*]} ${missing_norec[*]}" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    if ((${#missing[@]})); then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ((${#missing_norec[@]})); then
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${missing_norec[@]}" >/dev/null
    fi
fi
