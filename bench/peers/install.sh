#!/usr/bin/env bash
# Installs the benchmark's peer servers (see README.md beside this file) and says what it did and how long it took:
# - busboy: `npm ci` in bench/peers/busboy (busboy as pinned by its package-lock.json);
# - Go: Debian's golang-go when `go` is missing (as root; apt-get update first only when the package is unknown),
#   then `go build -o bin/upload-server .` in bench/peers/go (standard library only, so no module is downloaded).
# Safe to run again: npm ci lays node_modules anew from the lockfile and go build reuses its cache.
#   bash bench/peers/install.sh
set -euo pipefail
cd "$(dirname "$0")"
peers="$PWD"

elapsed() { printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000)); }
now_ms() { date +%s%3N; }
total_start="$(now_ms)"

command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed for the busboy server" >&2; exit 1; }
start="$(now_ms)"
(cd "$peers/busboy" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "busboy: npm ci in bench/peers/busboy: busboy $(node -p 'require("./busboy/node_modules/busboy/package.json").version'), node $(node --version) ($(elapsed $(($(now_ms) - start))))"

if command -v go >/dev/null; then
  echo "go: found $(go version | cut -d' ' -f3-)"
else
  [ "$(id -u)" = 0 ] || { echo "go is missing: install Debian's golang-go (Go 1.19 or later) as root" >&2; exit 1; }
  start="$(now_ms)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show golang-go >/dev/null 2>&1; then
    echo "go: apt-get update (golang-go is not in the package lists)"
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends golang-go >/dev/null
  echo "go: installed Debian's golang-go, $(go version | cut -d' ' -f3-) ($(elapsed $(($(now_ms) - start))))"
fi

# The build cache goes where Go puts it when $HOME is usable, else under the temp folder; no module is fetched.
if [ -z "${GOCACHE:-}" ] && ! { [ -n "${HOME:-}" ] && [ -w "${HOME:-/nonexistent}" ]; }; then
  export GOCACHE="${TMPDIR:-/tmp}/uploadkit-peers-go/cache" GOPATH="${TMPDIR:-/tmp}/uploadkit-peers-go/path"
fi
export GOPROXY=off
start="$(now_ms)"
(cd "$peers/go" && go build -o bin/upload-server .)
echo "go: go build in bench/peers/go: bin/upload-server ($(elapsed $(($(now_ms) - start))))"
echo "peers installed in $(elapsed $(($(now_ms) - total_start)))"
