#!/usr/bin/env bash
# The action's install step (action.yml, "Install a wxsync release binary"): downloads the
# release binary for this runner, checks it against its .sha256 and unpacks it into $ROOT/bin.
# When no asset matches (no release tag, a platform without a binary, a release without the
# asset) it says so and writes found=false, and the action builds wxsync from source.
#
# The asset names are the ones scripts/package.sh makes: wxsync-<target>.tar.gz, or .zip for
# Windows, each with <asset>.sha256 beside it.
#
# Environment:
#   VERSION                the release tag, e.g. v0.1.0
#   REPO                   owner/name of the repository holding the release
#   ROOT                   the install root: the binary goes to $ROOT/bin
#   RUNNER_OS, RUNNER_ARCH as the runner sets them (Linux/macOS/Windows, X64/ARM64)
#   GITHUB_OUTPUT          where found=true|false and asset=<name> are written (optional)
#   WXSYNC_DOWNLOAD_BASE   the URL the assets are under (default:
#                          $GITHUB_SERVER_URL/$REPO/releases/download/$VERSION); file:// works
#   WXSYNC_TARGET          the target triple to fetch instead of the runner's (tests)
#
# Exit status: 0 when installed or when there is nothing to install (found=false); 1 when an
# asset exists but cannot be trusted or fetched (bad or missing checksum, download error).
# Runs on Linux, macOS (bash 3.2, shasum, bsdtar) and Windows (Git Bash; unzip or 7-Zip).
set -uo pipefail

VERSION=${VERSION:-}
REPO=${REPO:-}
: "${ROOT:?ROOT must name the install root}"

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >> "$GITHUB_OUTPUT"; fi
}

# The runner's target: the static musl builds on Linux, so any image (glibc or not) runs them.
target=${WXSYNC_TARGET:-}
if [ -z "$target" ]; then
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
        Linux/X64) target=x86_64-unknown-linux-musl ;;
        Linux/ARM64) target=aarch64-unknown-linux-musl ;;
        macOS/X64) target=x86_64-apple-darwin ;;
        macOS/ARM64) target=aarch64-apple-darwin ;;
        Windows/X64) target=x86_64-pc-windows-msvc ;;
    esac
fi
case "$target" in
    *-windows-*) asset="wxsync-$target.zip"; exe=".exe" ;;
    ?*) asset="wxsync-$target.tar.gz"; exe="" ;;
    *) asset="" ;;
esac

from_source() {
    echo "$1: building wxsync from source (cargo install --locked, cached)."
    output "found=false"
    exit 0
}

if [ -z "$asset" ]; then
    from_source "No wxsync release binary is built for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
fi
output "asset=$asset"
case "$VERSION" in
    v*) ;;
    "") from_source "No release tag to install (the action's ref is empty; set the version input)" ;;
    *) from_source "'$VERSION' is not a release tag (release tags start with v)" ;;
esac

base=${WXSYNC_DOWNLOAD_BASE:-${GITHUB_SERVER_URL:-https://github.com}/$REPO/releases/download/$VERSION}
base=${base%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME: downloads $base/NAME into $tmp. Status: 0 fetched, 2 not there (HTTP 404, or a
# missing file:// file), 1 any other failure (after curl's retries), with the reason in $why.
fetch() {
    local code rc=0
    code=$(curl -sSL --retry 3 --retry-delay 2 --connect-timeout 30 \
        -o "$tmp/$1" -w '%{http_code}' "$base/$1" 2>"$tmp/curl.err") || rc=$?
    why=$(tr '\n' ' ' < "$tmp/curl.err")
    case "$rc/$code" in
        0/2?? | 0/000) return 0 ;;
        0/404 | 37/*) return 2 ;;
        0/*) why="HTTP $code"; return 1 ;;
        *) why="curl exit $rc: $why"; return 1 ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

refuse() {
    echo "::error title=wxsync::$1"
    exit 1
}

echo "Fetching $asset of wxsync $VERSION from $base"
fetch "$asset"
case $? in
    0) ;;
    2) from_source "No release asset $asset in wxsync $VERSION ($base/$asset is not there)" ;;
    *) refuse "could not download $asset from $base ($why)" ;;
esac
fetch "$asset.sha256"
case $? in
    0) ;;
    2) refuse "$asset has no $asset.sha256 beside it in $VERSION: refusing to install a binary that cannot be checked" ;;
    *) refuse "could not download $asset.sha256 from $base ($why)" ;;
esac

# The first word of the .sha256 line is the digest (the rest names the file).
expected=$(tr -d '\r' < "$tmp/$asset.sha256" | head -n1 | cut -d' ' -f1 | tr 'A-F' 'a-f')
case "$expected" in
    *[!0-9a-f]* | "") refuse "$asset.sha256 holds no SHA-256 digest: refusing to install $asset" ;;
esac
[ ${#expected} -eq 64 ] || refuse "$asset.sha256 holds no SHA-256 digest: refusing to install $asset"
actual=$(sha256_of "$tmp/$asset")
if [ "$actual" != "$expected" ]; then
    refuse "$asset does not match its checksum: $asset.sha256 says $expected, the download is $actual. Refusing to install it; re-run the job, and report it if it persists."
fi
echo "$asset matches $asset.sha256 ($actual)"

mkdir -p "$ROOT/bin" || refuse "cannot create $ROOT/bin"
case "$asset" in
    *.zip)
        if command -v unzip >/dev/null 2>&1; then
            unzip -o -q "$tmp/$asset" "wxsync$exe" -d "$ROOT/bin"
        elif command -v 7z >/dev/null 2>&1; then
            7z x -y -bd -bso0 "-o$ROOT/bin" "$tmp/$asset" "wxsync$exe"
        else
            powershell -NoProfile -Command "Expand-Archive -Force -Path '$(cygpath -w "$tmp/$asset")' -DestinationPath '$(cygpath -w "$tmp/x")'" \
                && cp "$tmp/x/wxsync$exe" "$ROOT/bin/"
        fi
        ;;
    *) tar -xzf "$tmp/$asset" -C "$ROOT/bin" wxsync ;;
esac || refuse "$asset could not be unpacked (no wxsync$exe in it?)"
bin="$ROOT/bin/wxsync$exe"
[ -f "$bin" ] || refuse "$asset holds no wxsync$exe"
chmod +x "$bin" 2>/dev/null || true
said=$("$bin" --version 2>&1) || refuse "the wxsync of $asset does not run on this runner: $said"

echo "Installed $said from the release binary $asset of $VERSION (checksum verified) into $ROOT/bin."
output "found=true"
