#!/usr/bin/env bash
# Proves the packages and the README's quick start, not the source tree: does what the README's "## Quick start"
# section tells a new user to do, in a fresh `dotnet new web` app outside the repository, against the packed packages
# only, and checks the outcome.
#
# Usage: eng/package-test.sh [packages-folder]   (default: artifacts/packages, where .ci/run packs)
# From the section of README.md around <!-- quickstart:start --> ... <!-- quickstart:end --> (its "## " heading to the
# next) it takes, as written:
#   - every `dotnet add package` line of its shell blocks: run in the app, and nothing else is added;
#   - the C# block between the markers: the app's Program.cs;
#   - the first JSON block: the app's appsettings.json;
#   - the `dotnet run` line and the `curl` line: the app is started with the first and sent the second. Both must name
#     the same address, and the run line must say where the app listens (a new app picks its own port otherwise).
#     The test moves that address to a free port of 127.0.0.1, the same in both lines.
# The upload must answer 2xx with JSON naming the stored file and its size; the file must be on disk in media/ beside
# Program.cs with the uploaded bytes, and served byte for byte at the answer's url.
# Then the section's optional `dotnet add package UploadKit.Storage.S3` line and its `.AddS3Storage()` call are
# checked to restore and build too. QUICKSTART_README names another file to read.
# Ends with "package test: PASS" or "package test: FAIL: <why>" and a non-zero exit code.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
packages="$(cd "${1:-$repo/artifacts/packages}" 2>/dev/null && pwd)" || { echo "package test: FAIL: no packages folder ${1:-$repo/artifacts/packages}; run dotnet pack first"; exit 1; }
readme="${QUICKSTART_README:-$repo/README.md}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_CLI_UI_LANGUAGE=en DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work="$(mktemp -d "${TMPDIR:-/tmp}/uploadkit-package-test.XXXXXX")"
app_pid=""
stop_app() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    # `dotnet run` starts the app as a child: the whole process group started for it goes.
    kill -- "-$app_pid" 2>/dev/null || kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  app_pid=""
}
cleanup() {
  stop_app
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package test: FAIL: $*"
  exit 1
}
case "$work" in "$repo"/*) fail "the temporary folder $work is inside the repository";; esac
echo "package test: packages from $packages: $(cd "$packages" && ls -- *.nupkg | tr '\n' ' ')"

# The quick start, cut out of the README into $work/readme/.
mkdir -p "$work/app" "$work/readme"
python3 - "$readme" "$work/readme" <<'PY' || fail "could not read the quick start from $readme (see the message above)"
import re, sys
readme, out = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
match = re.search(r"<!--\s*quickstart:start\s*-->(.*?)<!--\s*quickstart:end\s*-->", text, re.S)
if not match:
    sys.exit(f"{readme} has no <!-- quickstart:start --> ... <!-- quickstart:end --> section")
fence = r"^```([\w+-]*)[^\n]*\n(.*?)^```"
csharp = [body for lang, body in re.findall(fence, match.group(1), re.S | re.M) if lang.lower() in ("csharp", "cs", "c#")]
if not csharp:
    sys.exit("the quick start has no ```csharp block between the markers")
open(f"{out}/Program.cs", "w", encoding="utf-8").write(csharp[0])
start = text.rfind("\n## ", 0, match.start())
end = text.find("\n## ", match.end())
section = text[max(start, 0):end if end >= 0 else len(text)]
blocks = re.findall(fence, section, re.S | re.M)
json_blocks = [body for lang, body in blocks if lang.lower() in ("json", "jsonc")]
if json_blocks:
    open(f"{out}/appsettings.json", "w", encoding="utf-8").write(json_blocks[0])
lines = []
for lang, body in blocks:
    if lang.lower() in ("sh", "bash", "shell", "console", "shell-session"):
        for line in body.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line.strip()).lstrip("$ ").strip()
            if line:
                lines.append(line)
def first(prefix, what):
    found = [l for l in lines if l.startswith(prefix)]
    if not found:
        sys.exit(f"the quick start section has no `{prefix}` line ({what})")
    return found
open(f"{out}/install.txt", "w", encoding="utf-8").write("\n".join(first("dotnet add package ", "the install line")) + "\n")
open(f"{out}/run.txt", "w", encoding="utf-8").write(first("dotnet run", "how to start the app")[0] + "\n")
open(f"{out}/curl.txt", "w", encoding="utf-8").write(first("curl ", "the upload")[0] + "\n")
# The optional S3 backend, named in the section's prose.
s3 = re.search(r"`(dotnet add package UploadKit\.Storage\.S3[^`]*)`", section)
if s3 and ".AddS3Storage()" in section:
    open(f"{out}/s3-install.txt", "w", encoding="utf-8").write(s3.group(1) + "\n")
PY

install_lines="$(cat "$work/readme/install.txt")"
run_line="$(cat "$work/readme/run.txt")"
curl_line="$(cat "$work/readme/curl.txt")"
echo "package test: the README installs with: $(tr '\n' ';' <<<"$install_lines")"
echo "package test: the README runs the app with: $run_line"
echo "package test: the README uploads with: $curl_line"

# The run line and the curl line must agree on where the app is.
address_pattern='https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?'
run_address="$(grep -oE "$address_pattern" <<<"$run_line" | head -n 1 || true)"
curl_address="$(grep -oE "$address_pattern" <<<"$curl_line" | head -n 1 || true)"
[ -n "$run_address" ] || fail "the README's run line does not say where the app listens (a new app picks its own port): $run_line"
[ "$run_address" = "$curl_address" ] || fail "the README runs the app on $run_address but its curl line posts to ${curl_address:-nowhere}"

cd "$work/app"
dotnet new web --force --name QuickStart --output . >/dev/null || fail "dotnet new web failed"
cp "$work/readme/Program.cs" Program.cs
if [ -f "$work/readme/appsettings.json" ]; then cp "$work/readme/appsettings.json" appsettings.json; fi

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

# The README's install lines, as written.
while IFS= read -r line; do
  [ -n "$line" ] || continue
  case "$line" in "dotnet add package "*) ;; *) fail "not an install line: $line";; esac
  eval "$line" >>"$work/add.log" 2>&1 || { cat "$work/add.log"; fail "\`$line\` failed"; }
done <<<"$install_lines"
expected_ids="$(sed -nE 's/^dotnet add package ([^ ]+).*/\1/p' <<<"$install_lines" | tr 'A-Z' 'a-z' | sort -u)"
referenced_ids="$(sed -nE 's/.*<PackageReference Include="([^"]+)".*/\1/p' QuickStart.csproj | tr 'A-Z' 'a-z' | sort -u)"
[ "$expected_ids" = "$referenced_ids" ] || fail "the app references [$(echo $referenced_ids)] but the README installs [$(echo $expected_ids)]"
for id in $expected_ids; do
  case "$id" in uploadkit.*) [ -d "$NUGET_PACKAGES/$id" ] || fail "$id was not restored from the packages folder";; esac
done
echo "package test: the app references only $(echo $expected_ids): $(grep -oE '<PackageReference [^>]+>' QuickStart.csproj | tr '\n' ' ')"

# Built as `dotnet run` builds it, so a compile error is reported on its own.
dotnet build >"$work/build.log" 2>&1 || { grep -E 'error|warning' "$work/build.log" | sort -u; fail "the README's Program.cs does not build with only the README's packages"; }

# Run as the README says, on a free port.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
run_command="${run_line//"$run_address"/$base}"
curl_command="${curl_line//"$curl_address"/$base}"
echo "package test: $run_command"
setsid bash -c "exec $run_command" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 300); do
  if ! kill -0 "$app_pid" 2>/dev/null; then cat "$work/app.log"; fail "the app exited at start-up"; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$work/app.log"; fail "the app did not listen on $base"; }

# Every file the command sends (-F name=@file, --data-binary @file, -T file) is created with random bytes.
uploaded=""
for file in $(grep -oE '(=@|-binary @|-T )[^ ;"'"'"']+' <<<"$curl_command" | sed -E 's/^(=@|-binary @|-T )//'); do
  head -c 65536 /dev/urandom > "$work/$file"
  uploaded="$file"
done
[ -n "$uploaded" ] || fail "the upload command sends no file: $curl_command"
echo "package test: $curl_command"
status="$(cd "$work" && eval "$curl_command -sS -o '$work/response' -w '%{http_code}'")" || { cat "$work/app.log"; fail "curl failed"; }
echo "package test: HTTP $status $(head -c 500 "$work/response")"
case "$status" in 2??) ;; *) cat "$work/app.log"; fail "the upload was answered with HTTP $status";; esac

# The answer names the stored file and its size; the file is on disk and served at the answer's url, byte for byte.
python3 - "$work/response" "$work/$uploaded" "$PWD" "$base" <<'PY' || { cat "$work/app.log"; fail "the upload did not arrive whole (see above)"; }
import hashlib, json, os, sys, urllib.parse, urllib.request
response, uploaded, app, base = sys.argv[1:5]
sent = open(uploaded, "rb").read()
digest = hashlib.sha256(sent).hexdigest()
try:
    answer = json.load(open(response, encoding="utf-8"))
except ValueError as e:
    sys.exit(f"the answer is not JSON: {e}")
name, size, url = answer.get("name"), answer.get("size"), answer.get("url")
if not name or size != len(sent) or not url:
    sys.exit(f"the answer should name the file, its size {len(sent)} and its url: {answer}")
# The README's appsettings.json keeps the default storage in "media": beside Program.cs, where `dotnet run` runs.
stored = os.path.join(app, "media", name)
if not os.path.isfile(stored) or hashlib.sha256(open(stored, "rb").read()).hexdigest() != digest:
    elsewhere = [os.path.relpath(os.path.join(r, f), app) for r, _, fs in os.walk(app) for f in fs if f == os.path.basename(name)]
    sys.exit(f"media/{name} beside Program.cs does not hold the uploaded bytes (files of that name: {elsewhere or 'none'})")
found = [os.path.relpath(stored, app)]
print(f"package test: stored as {found[0]}, SHA-256 {digest[:16]}…")
served = urllib.request.urlopen(urllib.parse.urljoin(base + "/", url)).read()
if hashlib.sha256(served).hexdigest() != digest:
    sys.exit(f"{url} serves {len(served)} bytes that are not the upload")
print(f"package test: {url} serves the uploaded bytes")
PY
stop_app

# The optional S3 backend: its install line and `.AddS3Storage()` restore from the packages folder and build.
if [ -f "$work/readme/s3-install.txt" ]; then
  s3_line="$(cat "$work/readme/s3-install.txt")"
  eval "$s3_line" >>"$work/add.log" 2>&1 || { cat "$work/add.log"; fail "\`$s3_line\` failed"; }
  [ -d "$NUGET_PACKAGES/uploadkit.storage.s3" ] || fail "uploadkit.storage.s3 was not restored from the packages folder"
  python3 - <<'PY' || fail "the quick start has no AddUploadKit(...) call to add .AddS3Storage() to"
import re
text = open("Program.cs", encoding="utf-8").read()
changed, count = re.subn(r"(AddUploadKit\(builder\.Configuration\.GetSection\(\"UploadKit\"\)\))", r"\1.AddS3Storage()", text, count=1)
if count != 1:
    raise SystemExit(1)
open("Program.cs", "w", encoding="utf-8").write(changed)
PY
  dotnet build >"$work/build-s3.log" 2>&1 || { grep -E 'error|warning' "$work/build-s3.log" | sort -u; fail "the quick start with .AddS3Storage() does not build after \`$s3_line\`"; }
  echo "package test: \`$s3_line\` and .AddS3Storage() build"
fi
echo "package test: PASS"
