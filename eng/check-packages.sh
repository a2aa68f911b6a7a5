#!/usr/bin/env bash
# Checks what the packed packages carry besides the code: each .nupkg its icon and its CHANGELOG.md as release notes,
# and each .snupkg a PDB with Source Link to the repository (tests/UploadKit.Core.Tests/Packaging reads the JSON
# through System.Reflection.Metadata; this checks that the symbols package holds it too).
# Usage: eng/check-packages.sh [packages-folder]   (default: artifacts/packages). Ends with "packages: OK" or fails.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python3 - "${1:-$repo/artifacts/packages}" "$repo" <<'PY'
import glob, os, re, sys, zipfile
packages, repo = sys.argv[1], sys.argv[2]
failures = []
nupkgs = sorted(p for p in glob.glob(os.path.join(packages, "*.nupkg")))
if not nupkgs:
    sys.exit(f"packages: no .nupkg in {packages}")
for nupkg in nupkgs:
    name = os.path.basename(nupkg)
    with zipfile.ZipFile(nupkg) as z:
        nuspec = z.read(next(n for n in z.namelist() if n.endswith(".nuspec"))).decode("utf-8-sig")
        package_id = re.search(r"<id>([^<]+)</id>", nuspec).group(1)
        icon = re.search(r"<icon>([^<]+)</icon>", nuspec)
        if not icon or icon.group(1) not in z.namelist() or not z.read(icon.group(1)).startswith(b"\x89PNG"):
            failures.append(f"{name}: no PNG icon")
        notes = re.search(r"<releaseNotes>(.*?)</releaseNotes>", nuspec, re.S)
        changelog = open(os.path.join(repo, "src", package_id, "CHANGELOG.md"), encoding="utf-8").read()
        first_entry = next((line.strip() for line in changelog.splitlines() if line.startswith("- ")), None)
        unescape = lambda s: s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
        if not notes or not first_entry or first_entry not in unescape(notes.group(1)):
            failures.append(f"{name}: the release notes are not {package_id}'s CHANGELOG.md")
        if not re.search(r'<repository type="git" url="https://github\.com/[^"]+" [^>]*commit="[0-9a-f]{40}"', nuspec):
            failures.append(f"{name}: no repository URL and commit")
    snupkg = nupkg[:-len(".nupkg")] + ".snupkg"
    if not os.path.exists(snupkg):
        failures.append(f"{name}: no symbols package beside it")
        continue
    with zipfile.ZipFile(snupkg) as z:
        pdbs = [n for n in z.namelist() if n.endswith(".pdb")]
        if not pdbs or not all(re.search(rb'\{"documents":\{"[^"]+":"https://raw\.githubusercontent\.com/[^"]+/[0-9a-f]{40}/\*"\}\}', z.read(p)) for p in pdbs):
            failures.append(f"{os.path.basename(snupkg)}: a PDB without Source Link")
for failure in failures:
    print("packages: FAIL: " + failure)
if failures:
    sys.exit(1)
print(f"packages: OK ({len(nupkgs)} packages: icon, release notes, repository, Source Link)")
PY
