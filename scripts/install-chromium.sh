#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/test_browser.py).
# Playwright's own browser download cannot be used here (only the package registries are
# reachable), so the tests drive the distribution's build through `executable_path`.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium.sh: need root to apt-get install chromium (or install it yourself)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
