#!/usr/bin/env bash
# Install Debian's pebble (Let's Encrypt's ACME test CA) and pebble-challtestsrv for the ACME
# tests (tests/acme/), the free-certificates notebook and benchmarks/acme.py. The tests start
# it themselves on loopback with a listener certificate they mint.
set -euo pipefail
if [ -x /usr/bin/pebble ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-pebble.sh: need root to apt-get install pebble (or install it yourself)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends pebble >/dev/null
test -x /usr/bin/pebble && echo "pebble installed: /usr/bin/pebble"
