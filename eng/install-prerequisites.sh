#!/usr/bin/env bash
# Installs what the tests need beyond NuGet packages. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
# redis-server for the Redis store tests (Debian's package; root or sudo).
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && apt-get install -y --no-install-recommends redis-server
  else
    sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server
  fi
fi
