#!/usr/bin/env bash
# Coverage-guided fuzzing of the multipart parser and handler chain with AFL++ and SharpFuzz.
# Usage: fuzz/run.sh [SECONDS=3600] [FINDINGS=fuzz/findings]
# Installs afl++ (Debian) and the SharpFuzz.CommandLine tool when missing, publishes the harness, instruments
# UploadKit.Core.dll, and runs one afl-fuzz instance for the given time on fuzz/corpus. Crashes and hangs land in
# FINDINGS/default/{crashes,hangs}; replay one (or a folder) on the uninstrumented build with:
#   dotnet fuzz/bin/plain/UploadKit.Fuzz.dll FILE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-3600}"
findings="${2:-$here/findings}"
out="$here/bin"
export PATH="$PATH:$HOME/.dotnet/tools" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
  apt-get update
  apt-get install -y --no-install-recommends afl++
fi
if ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
fi

rm -rf "$out"
dotnet publish "$here/UploadKit.Fuzz/UploadKit.Fuzz.csproj" -c Release -o "$out/plain" --nologo
# The instrumented copy only runs under afl-fuzz (it writes to afl's shared coverage map).
cp -r "$out/plain" "$out/afl"
sharpfuzz "$out/afl/UploadKit.Core.dll"

# dotnet is not an AFL-instrumented binary (the instrumentation is in the IL); the machine's core pattern and CPU
# governor are not ours to change.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1 AFL_AUTORESUME=1
exec afl-fuzz -i "$here/corpus" -o "$findings" -x "$here/multipart.dict" -t 5000 -m none -V "$seconds" \
  -- dotnet "$out/afl/UploadKit.Fuzz.dll"
