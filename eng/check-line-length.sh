#!/usr/bin/env bash
# Checks that no C# line is longer than .editorconfig's max_line_length for *.cs (150): prints every offending
# file:line (with its length) and fails when there is one. Takes the folders or files to check (default: the whole
# repository) and, with --exclude, folders or files to leave out; skips bin/ and obj/ and generated files
# (*.g.cs, *.Designer.cs, *.generated.cs).
#   bash eng/check-line-length.sh tests samples bench fuzz --exclude tests/UploadKit.Core.Tests/Storage
set -euo pipefail
cd "$(dirname "$0")/.."

limit="$(sed -n '/^\[\*\.cs\]/,/^\[/s/^max_line_length *= *\([0-9]\+\).*/\1/p' .editorconfig | head -n 1)"
[ -n "$limit" ] || { echo "no max_line_length in the [*.cs] section of .editorconfig" >&2; exit 2; }

paths=()
excluded=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --exclude) [ "$#" -ge 2 ] || { echo "--exclude takes a path" >&2; exit 2; }; excluded+=("${2%/}"); shift 2 ;;
    *) paths+=("${1%/}"); shift ;;
  esac
done
[ "${#paths[@]}" -gt 0 ] || paths=(.)
for path in "${paths[@]}" "${excluded[@]}"; do
  [ -e "$path" ] || { echo "$path: no such file or folder" >&2; exit 2; }
done

# Characters, not bytes (python3: awk implementations differ on UTF-8).
offending="$(find "${paths[@]}" \( -name bin -o -name obj -o -name node_modules -o -name .git \) -prune -o -type f -name '*.cs' \
    ! -name '*.g.cs' ! -name '*.Designer.cs' ! -name '*.generated.cs' -print0 \
  | sort -z \
  | python3 -c '
import sys
limit = int(sys.argv[1])
excluded = [e for e in sys.argv[2:]]
for name in sys.stdin.buffer.read().decode().split("\0"):
    if not name or any(name == e or name.startswith(e + "/") for e in excluded):
        continue
    with open(name, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            length = len(line.rstrip("\r\n"))
            if length > limit:
                print(f"{name}:{number}: {length} characters (limit {limit})")
' "$limit" "${excluded[@]}")"

if [ -n "$offending" ]; then
  echo "$offending"
  echo "$(wc -l <<<"$offending") line(s) longer than $limit characters" >&2
  exit 1
fi
echo "no C# line longer than $limit characters in: ${paths[*]}${excluded:+ (leaving out ${excluded[*]})}"
