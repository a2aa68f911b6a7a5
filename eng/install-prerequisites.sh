#!/usr/bin/env bash
# Installs what the tests need beyond NuGet packages. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
# Debian's Chromium, for the browser test of samples/FormUpload (driven by playwright-core).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
