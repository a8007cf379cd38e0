#!/usr/bin/env bash
# docker-compose, for test/deploy's `docker-compose config` check of deploy/compose/compose.yaml:
# installs Debian's docker-compose package when the command is missing. Idempotent: does nothing
# when it is on the PATH. No container engine is needed (nor started): `config` only reads files.
#
#   scripts/infra/docker-compose.sh     install if needed (needs root when it installs)
#
# Prints nothing on stdout; diagnostics go to stderr.
set -euo pipefail

say() { echo "docker-compose.sh: $*" >&2; }

if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "docker-compose missing and not root: run as root, or install the 'docker-compose' package yourself"
  exit 1
fi
say "installing Debian's docker-compose package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends docker-compose >&2
command -v docker-compose >/dev/null 2>&1 || { say "install finished but docker-compose is still missing"; exit 1; }
say "installed: $(docker-compose version --short 2>/dev/null || docker-compose version | head -n1)"
