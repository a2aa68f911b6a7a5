#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# .PublicAPI/PublicAPI.Unshipped.txt, and removes those reported as no longer present (RS0017).
# Usage: eng/update-public-api.sh src/UploadKit.Core [src/UploadKit.Storage.S3 ...]
set -euo pipefail
for project in "$@"; do
  file="$project/.PublicAPI/PublicAPI.Unshipped.txt"
  log=$(dotnet build "$project" -c Release --no-restore -p:TreatWarningsAsErrors=false 2>&1 || true)
  printf '%s\n' "$log" | grep -E 'RS0016' | sed -E "s/.*Symbol '(.*)' is not part of the declared public API.*/\1/" | sort -u >> "$file" || true
  printf '%s\n' "$log" | grep -E 'RS0017' | sed -E "s/.*Symbol '(.*)' is part of the declared API, but is either not public or could not be found.*/\1/" | sort -u > /tmp/public-api-removed.$$ || true
  if [ -s /tmp/public-api-removed.$$ ]; then grep -vxF -f /tmp/public-api-removed.$$ "$file" > "$file.tmp" || true; mv "$file.tmp" "$file"; fi
  rm -f /tmp/public-api-removed.$$
  { head -n 1 "$file"; tail -n +2 "$file" | sort -u; } > "$file.tmp" && mv "$file.tmp" "$file"
done
