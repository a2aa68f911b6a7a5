#!/usr/bin/env bash
# Runs the whole test suite: installs what the emulators need (npm packages from the committed
# lockfile, Debian packages), then `dotnet test`. The test projects start and stop the emulators
# themselves, on 127.0.0.1. Ends with the line "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_CLI_UI_LANGUAGE=en

eng/install-prerequisites.sh

results="${TEST_RESULTS_DIR:-$PWD/artifacts/test-results}"
rm -rf "$results"
mkdir -p "$results"

status=0
dotnet test UploadKit.sln -c Release --results-directory "$results" --logger "trx" "$@" || status=$?

python3 - "$results" <<'PY'
# Counts each test result by its own outcome. The TRX summary counters are not enough: NUnit's adapter writes
# ignored, inconclusive and Assume-failed tests as NotExecuted/Inconclusive results without counting them there.
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
for f in files:
    for result in ET.parse(f).getroot().findall("t:Results/t:UnitTestResult", ns):
        outcome = result.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("Failed", "Error", "Timeout", "Aborted", "PassedButRunAborted"):
            failed += 1
        else:  # NotExecuted (ignored, skipped), Inconclusive, NotRunnable, Pending, ...
            skipped += 1
if not files:
    print("no test results were written", file=sys.stderr)
    failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
exit $status
