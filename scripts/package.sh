#!/usr/bin/env bash
# Builds and packages the wxsync release binary for one target, as the action installs it
# (scripts/install.sh) and .github/workflows/release.yml publishes it:
#
#   dist/wxsync-<TARGET>.tar.gz          wxsync, README.md, CHANGELOG.md, LICENSE-MIT,
#   dist/wxsync-<TARGET>.tar.gz.sha256   LICENSE-APACHE at the archive's root; for Windows
#                                        targets a .zip holding wxsync.exe instead
#
# The .sha256 file is one `sha256sum` line (`<hex>  <asset>`), so `sha256sum -c` and
# `shasum -a 256 -c` check it. The last line on stdout is the archive's path.
#
# Usage: scripts/package.sh [TARGET] [--bin FILE] [--out DIR]
#   TARGET      a Rust target triple; default: the host's (`rustc -vV`)
#   --bin FILE  package FILE instead of building: `cargo build --locked --profile dist`
#               (the release profile, stripped) for TARGET
#   --out DIR   where the archive goes (default: dist)
# Runs on Linux, macOS (bash 3.2, bsdtar, shasum) and Windows (Git Bash; 7-Zip or zip).
set -euo pipefail

here=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "package.sh: $*" >&2
    exit 1
}

# A path given relative to where the script was called from.
absolute() {
    case "$1" in
        /* | [A-Za-z]:[\\/]*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$here/$1" ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed"
    fi
}

target=""
bin=""
out="dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) [ $# -ge 2 ] || die "--bin needs a file"; bin=$(absolute "$2"); shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$target" ] || die "one target at a time (got $target and $1)"; target=$1; shift ;;
    esac
done
out=$(absolute "$out")

host=$("${RUSTC:-rustc}" -vV | sed -n 's/^host: //p')
if [ -z "$target" ]; then
    target=$host
    [ -n "$target" ] || die "no TARGET given and \`rustc -vV\` names no host"
fi

cd "$root"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)

case "$target" in
    *-windows-*) exe=".exe"; asset="wxsync-$target.zip" ;;
    *) exe=""; asset="wxsync-$target.tar.gz" ;;
esac

if [ -z "$bin" ]; then
    echo "building wxsync $version for $target (profile dist)" >&2
    "${CARGO:-cargo}" build --locked --profile dist --bin wxsync --target "$target" >&2
    # cargo reads a relative CARGO_TARGET_DIR from here, the repository's root.
    dir=${CARGO_TARGET_DIR:-target}
    case "$dir" in /* | [A-Za-z]:[\\/]*) ;; *) dir="$root/$dir" ;; esac
    bin="$dir/$target/dist/wxsync$exe"
fi
[ -f "$bin" ] || die "no binary at $bin"

# A binary for this machine must be the version it is packaged as.
if [ "$target" = "$host" ]; then
    said=$("$bin" --version) || die "$bin --version failed"
    # Built from git, the version is followed by its commit: `wxsync 0.1.0 (1a2b3c4d5 2026-12-02)`.
    case "$said" in
        "wxsync $version" | "wxsync $version ("*) ;;
        *) die "$bin says '$said', expected 'wxsync $version'" ;;
    esac
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
files="wxsync$exe README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE"
cp "$bin" "$stage/wxsync$exe"
chmod 755 "$stage/wxsync$exe"
for f in README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE; do
    [ -f "$f" ] || die "$f is missing: every archive carries it"
    cp "$f" "$stage/$f"
    chmod 644 "$stage/$f"
done

mkdir -p "$out"
rm -f "$out/$asset" "$out/$asset.sha256"
case "$asset" in
    *.zip)
        if command -v 7z >/dev/null 2>&1; then
            # shellcheck disable=SC2086 # the file names have no spaces
            (cd "$stage" && 7z a -tzip -bd -bso0 "$out/$asset" $files) >&2
        elif command -v zip >/dev/null 2>&1; then
            # shellcheck disable=SC2086
            (cd "$stage" && zip -q -X "$out/$asset" $files)
        elif command -v powershell >/dev/null 2>&1 && command -v cygpath >/dev/null 2>&1; then
            powershell -NoProfile -Command "Compress-Archive -Path '$(cygpath -w "$stage")\\*' -DestinationPath '$(cygpath -w "$out/$asset")'"
        else
            die "no zip tool (7z, zip or PowerShell) for $asset"
        fi
        ;;
    *)
        owner=()
        if tar --version 2>/dev/null | grep -q 'GNU tar'; then
            owner=(--owner=0 --group=0 --numeric-owner)
        fi
        # shellcheck disable=SC2086
        tar ${owner[@]+"${owner[@]}"} -czf "$out/$asset" -C "$stage" $files
        ;;
esac

sum=$(sha256_of "$out/$asset")
printf '%s  %s\n' "$sum" "$asset" > "$out/$asset.sha256"

size() { wc -c < "$1" | tr -d ' '; }
echo "packaged wxsync $version for $target: $asset ($(size "$out/$asset") bytes; wxsync$exe $(size "$bin") bytes), sha256 $sum" >&2
printf '%s\n' "$out/$asset"
