#!/usr/bin/env bash
# Prometheus and promtool for the observability checks and the scrape test: installs Debian's
# `prometheus` package when `prometheus` or `promtool` is missing. Idempotent: does nothing when both
# are on the PATH. The package's own service is NOT left running (we run Prometheus ourselves, with
# our configs under deploy/prometheus/): during the install a policy-rc.d forbids service starts, and
# anything the package started anyway (systemd) is stopped and disabled afterwards.
#
#   scripts/infra/prometheus.sh     install if needed (needs root when it installs)
#
# Prints nothing on stdout; diagnostics go to stderr.
set -euo pipefail

say() { echo "prometheus.sh: $*" >&2; }

installed() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

if installed; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "prometheus/promtool missing and not root: run as root, or install the 'prometheus' package yourself"
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
if [ ! -e "$POLICY" ]; then
  # Forbid invoke-rc.d from starting the package's service (exit 101 = action forbidden).
  printf '#!/bin/sh\n# Temporary, written by scripts/infra/prometheus.sh (simplebank)\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"
  OWN_POLICY=1
fi
cleanup() { if [ "$OWN_POLICY" = 1 ]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

say "installing Debian's prometheus package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# No recommends: they pull in (and would start) prometheus-node-exporter.
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold prometheus >&2

# Under systemd, deb-systemd-invoke may start the unit regardless of policy-rc.d: stop and disable it.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop prometheus.service >/dev/null 2>&1 || true
  systemctl disable prometheus.service >/dev/null 2>&1 || true
fi
# Without systemd, a SysV start would have run as user prometheus from /usr/bin/prometheus with the
# package's config: stop only that daemon, by its pid file, if one was started.
if [ -x /etc/init.d/prometheus ] && [ ! -d /run/systemd/system ]; then
  /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi

if ! installed; then
  say "install finished but prometheus/promtool are still missing"
  exit 1
fi
say "installed: $(prometheus --version 2>&1 | head -n1)"
