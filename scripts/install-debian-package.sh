#!/usr/bin/env bash
# Install a Debian package the tests need, unless its program is already there:
#   scripts/install-debian-package.sh chromium   browser tests (tests/test_browser.py); Playwright's
#                                                own browser download cannot be used here (only the
#                                                package registries are reachable), so the tests
#                                                drive the distribution's build (`executable_path`)
#   scripts/install-debian-package.sh pebble     Let's Encrypt's ACME test CA and pebble-challtestsrv
#                                                (tests/acme/, notebook 05, benchmarks/acme.py); the
#                                                tests start it on loopback with a certificate they mint
set -euo pipefail
package="${1:?usage: install-debian-package.sh PACKAGE (its program is /usr/bin/PACKAGE)}"
if [ -x "/usr/bin/$package" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-debian-package.sh: need root to apt-get install $package (or install it yourself)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
test -x "/usr/bin/$package" && echo "$package installed: /usr/bin/$package"
