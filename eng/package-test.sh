#!/usr/bin/env bash
# Proves the packages and the README, not the source tree: creates a fresh web project outside the repository that
# references UploadKit.Core and UploadKit.Storage.S3 by version from the packed folder only, writes the README's
# quick start into it, builds it, runs it on 127.0.0.1 and uploads a file to it with the README's curl command.
#
# Usage: eng/package-test.sh [packages-folder]   (default: artifacts/packages, where .ci/run packs)
# The quick start is the C# block of README.md between <!-- quickstart:start --> and <!-- quickstart:end --> (or of
# src/UploadKit.Core/README.md while README.md has no markers): it becomes Program.cs. In the section around it
# (its "## " heading to the next), the first JSON block becomes appsettings.json and the first `curl` line is the
# upload (default: a multipart `file` part posted to /upload). QUICKSTART_README names another file to read.
# Ends with "package test: PASS" or "package test: FAIL: <why>" and a non-zero exit code.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
packages="$(cd "${1:-$repo/artifacts/packages}" 2>/dev/null && pwd)" || { echo "package test: FAIL: no packages folder ${1:-$repo/artifacts/packages}; run dotnet pack first"; exit 1; }
readme="${QUICKSTART_README:-$repo/README.md}"
if [ -z "${QUICKSTART_README:-}" ] && ! grep -q 'quickstart:start' "$readme"; then
  readme="$repo/src/UploadKit.Core/README.md"   # the package README, until the root one has the markers
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_CLI_UI_LANGUAGE=en DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work="$(mktemp -d "${TMPDIR:-/tmp}/uploadkit-package-test.XXXXXX")"
app_pid=""
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package test: FAIL: $*"
  exit 1
}
case "$work" in "$repo"/*) fail "the temporary folder $work is inside the repository";; esac

package_version() {
  local file
  file="$(find "$packages" -maxdepth 1 -name "$1.[0-9]*.nupkg" ! -name '*.snupkg' | sort | tail -n 1)"
  [ -n "$file" ] || return 1
  file="$(basename "$file" .nupkg)"
  echo "${file#"$1".}"
}
core_version="$(package_version UploadKit.Core)" || fail "no UploadKit.Core package in $packages"
s3_version="$(package_version UploadKit.Storage.S3)" || fail "no UploadKit.Storage.S3 package in $packages"
echo "package test: UploadKit.Core $core_version, UploadKit.Storage.S3 $s3_version from $packages"

# The quick start, cut out of the README.
mkdir -p "$work/app"
python3 - "$readme" "$work" <<'PY' || fail "could not read the quick start from $readme (see the message above)"
import re, sys
readme, work = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
match = re.search(r"<!--\s*quickstart:start\s*-->(.*?)<!--\s*quickstart:end\s*-->", text, re.S)
if not match:
    sys.exit(f"{readme} has no <!-- quickstart:start --> ... <!-- quickstart:end --> section")
fence = r"^```([\w+-]*)[^\n]*\n(.*?)^```"
csharp = [body for lang, body in re.findall(fence, match.group(1), re.S | re.M) if lang.lower() in ("csharp", "cs", "c#")]
if not csharp:
    sys.exit("the quick start has no ```csharp block between the markers")
open(f"{work}/Program.cs", "w", encoding="utf-8").write(csharp[0])
# appsettings.json and the curl command come from the whole section around the markers (its "## " heading to the next).
start = text.rfind("\n## ", 0, match.start())
end = text.find("\n## ", match.end())
blocks = re.findall(fence, text[max(start, 0):end if end >= 0 else len(text)], re.S | re.M)
json_blocks = [body for lang, body in blocks if lang.lower() in ("json", "jsonc")]
if json_blocks:
    open(f"{work}/appsettings.json", "w", encoding="utf-8").write(json_blocks[0])
for lang, body in blocks:
    if lang.lower() in ("sh", "bash", "shell", "console", "shell-session"):
        lines = [l.strip().lstrip("$ ").strip() for l in body.replace("\\\n", " ").splitlines()]
        curl = [l for l in lines if l.startswith("curl ")]
        if curl:
            open(f"{work}/curl.txt", "w", encoding="utf-8").write(curl[0])
            break
PY

cd "$work/app"
dotnet new web --force --name QuickStart --output . >/dev/null || fail "dotnet new web failed"
# `dotnet new` wrote its own Program.cs: the README's replaces it.
mv "$work/Program.cs" Program.cs
if [ -f "$work/appsettings.json" ]; then mv "$work/appsettings.json" appsettings.json; fi

# The local folder is an extra source; the machine's own sources stay for everything else. Package source mapping
# makes UploadKit.* come from the local folder only, and a private packages cache keeps an earlier build of the
# same version out.
sources="$(dotnet nuget list source --format detailed | sed -nE 's/^ *[0-9]+\. +(.+) \[Enabled\]$/\1/p')"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo "    <add key=\"uploadkit-local\" value=\"$packages\" />"
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="uploadkit-local"><package pattern="UploadKit.*" /></packageSource>'
  while IFS= read -r key; do
    [ -n "$key" ] && echo "    <packageSource key=\"$key\"><package pattern=\"*\" /></packageSource>"
  done <<<"$sources"
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} > nuget.config
export NUGET_PACKAGES="$work/nuget-packages"

dotnet add package UploadKit.Core --version "$core_version" >"$work/add.log" 2>&1 || { cat "$work/add.log"; fail "dotnet add package UploadKit.Core $core_version failed"; }
dotnet add package UploadKit.Storage.S3 --version "$s3_version" >>"$work/add.log" 2>&1 || { cat "$work/add.log"; fail "dotnet add package UploadKit.Storage.S3 $s3_version failed"; }
dotnet build -c Release >"$work/build.log" 2>&1 || { grep -E 'error|warning' "$work/build.log" | sort -u; fail "the quick start does not build against the packages"; }
for id in uploadkit.core uploadkit.storage.s3; do
  [ -d "$NUGET_PACKAGES/$id" ] || fail "$id was not restored from the packages folder"
done

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
ASPNETCORE_ENVIRONMENT=Production dotnet bin/Release/net10.0/QuickStart.dll --urls "$base" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 150); do
  if ! kill -0 "$app_pid" 2>/dev/null; then cat "$work/app.log"; fail "the app exited at start-up"; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$work/app.log"; fail "the app did not listen on $base"; }

# The upload: the README's curl command pointed at this app, or a multipart `file` part to /upload.
if [ -f "$work/curl.txt" ]; then
  command_line="$(sed -E "s#https?://(localhost|127\.0\.0\.1)(:[0-9]+)?#$base#g" "$work/curl.txt")"
else
  command_line="curl -F file=@song.mp3 $base/upload"
fi
# Every file the command sends (-F name=@file, --data-binary @file, -T file) is created with random bytes.
uploaded=""
for file in $(grep -oE '(=@|-binary @|-T )[^ ;"'"'"']+' <<<"$command_line" | sed -E 's/^(=@|-binary @|-T )//'); do
  head -c 65536 /dev/urandom > "$file"
  uploaded="$file"
done
[ -n "$uploaded" ] || fail "the upload command sends no file: $command_line"
echo "package test: $command_line"
touch "$work/curl-start"
status="$(eval "$command_line -sS -o '$work/response' -w '%{http_code}'")" || { cat "$work/app.log"; fail "curl failed"; }
echo "package test: HTTP $status $(head -c 500 "$work/response")"
case "$status" in 2??) ;; *) cat "$work/app.log"; fail "the upload was answered with HTTP $status";; esac

# The upload must have arrived whole: the response names the file, or the app stored a byte-identical copy.
expected="$(sha256sum "$uploaded" | cut -d' ' -f1)"
stored=""
while IFS= read -r -d '' candidate; do
  if [ "$(sha256sum "$candidate" | cut -d' ' -f1)" = "$expected" ] && [ "$candidate" != "$PWD/$uploaded" ]; then stored="$candidate"; fi
done < <(find "$PWD" -type f -newer "$work/curl-start" -not -path '*/bin/*' -not -path '*/obj/*' -print0 2>/dev/null || true)
if [ -n "$stored" ]; then
  echo "package test: stored copy ${stored#"$PWD"/} has the uploaded SHA-256"
elif ! grep -qF "$(basename "$uploaded" | sed 's/\.[^.]*$//')" "$work/response"; then
  fail "the response does not name the uploaded file and no stored copy of it was found"
fi
echo "package test: PASS"
