#!/usr/bin/env bash
# Chromium for the web app's browser suite (npm run test:browser) and its screenshots: installs
# Debian's `chromium` package when /usr/bin/chromium is missing. Idempotent: does nothing when it is
# there. The suite drives it through playwright-core, which downloads no browser of its own.
#
#   scripts/infra/chromium.sh     install if needed (needs root when it installs)
#
# Prints nothing on stdout; diagnostics go to stderr.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }

BIN="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$BIN" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "$BIN missing and not root: run as root, or install the 'chromium' package yourself"
  exit 1
fi

say "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# No recommends: the browser alone is enough for a headless run.
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold chromium >&2

if [ ! -x "$BIN" ]; then
  say "install finished but $BIN is still missing"
  exit 1
fi
say "installed: $("$BIN" --version 2>/dev/null | head -n1)"
