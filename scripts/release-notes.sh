#!/usr/bin/env bash
# Prints the release notes of one version: its section of CHANGELOG.md, without the heading.
# The section must be headed `## [X.Y.Z] - YYYY-MM-DD`: a release is dated when it is cut,
# so an undated section (or none) stops the release with a message saying what to write.
#
# Usage: scripts/release-notes.sh TAG|VERSION [CHANGELOG]   e.g. v0.1.0 (default: CHANGELOG.md)
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 TAG|VERSION [CHANGELOG]" >&2; exit 2; }
version=${1#v}
changelog=${2:-$(dirname "$0")/../CHANGELOG.md}
[ -f "$changelog" ] || { echo "release-notes.sh: no $changelog" >&2; exit 1; }

heading=$(grep -E "^## \[$(printf '%s' "$version" | sed 's/[.]/\\./g')\]" "$changelog" | head -n1 || true)
if [ -z "$heading" ]; then
    echo "release-notes.sh: CHANGELOG.md has no section '## [$version] - YYYY-MM-DD': move the [Unreleased] entries under it before tagging v$version" >&2
    exit 1
fi
if ! printf '%s\n' "$heading" | grep -Eq '^## \[[^]]+\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$'; then
    echo "release-notes.sh: the CHANGELOG.md section of $version is not dated ('$heading'): write '## [$version] - YYYY-MM-DD' before tagging v$version" >&2
    exit 1
fi

# From the line after the heading to the next `## ` heading or the link references at the end;
# blank lines at either end dropped.
notes=$(awk -v h="$heading" '
    $0 == h { on = 1; next }
    on && (/^## / || /^\[[^]]+\]: /) { exit }
    on { print }
' "$changelog" | sed -e '/./,$!d' | awk '{ lines[NR] = $0 } END { n = NR; while (n > 0 && lines[n] == "") n--; for (i = 1; i <= n; i++) print lines[i] }')
if [ -z "$notes" ]; then
    echo "release-notes.sh: the CHANGELOG.md section of $version is empty" >&2
    exit 1
fi
printf '%s\n' "$notes"
