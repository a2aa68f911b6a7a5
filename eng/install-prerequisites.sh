#!/usr/bin/env bash
# Installs what the tests need beyond NuGet packages, and nothing that is already there:
#   - the emulators' npm packages (s3rver, Azurite, playwright-core) from the committed package-lock.json;
#   - Debian's redis-server, for the Redis store tests;
#   - Debian's chromium, for the browser tests of the samples (driven headless by playwright-core);
#   - Debian's clamav-daemon (clamd), for the malware-scanning tests (they write their own signature database).
# The Debian packages are installed with apt-get, as root or through sudo, in one `apt-get update` and one
# `apt-get install --no-install-recommends` for whatever is missing; when nothing is, apt-get is not run at all.
# For checking this script: PREREQUISITES_DRY_RUN=1 prints the apt-get commands instead of running them, and
# PREREQUISITES_MISSING="redis-server chromium clamav-daemon" treats those packages as missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi

missing=()
if [ -n "${PREREQUISITES_MISSING:-}" ]; then
  read -r -a missing <<<"$PREREQUISITES_MISSING"
elif ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  missing+=(redis-server)
fi
if [ -z "${PREREQUISITES_MISSING:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if [ -z "${PREREQUISITES_MISSING:-}" ] && ! command -v clamd >/dev/null 2>&1 && [ ! -x /usr/sbin/clamd ]; then
  missing+=(clamav-daemon)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "installing Debian packages: ${missing[*]}"
as_root=()
if [ "${PREREQUISITES_DRY_RUN:-}" = 1 ]; then
  as_root=(echo)
elif [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "apt-get needs root: run as root or install sudo, or install ${missing[*]} yourself" >&2; exit 1; }
  as_root=(sudo)
fi
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
