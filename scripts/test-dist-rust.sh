#!/usr/bin/env bash
# Checks the crates of scripts/dist-rust.sh (run through scripts/test-dist.sh rust, after
# scripts/dist.sh rust). This one needs Rust, as any crate's publication does:
#
# - `cargo publish --dry-run` of atomicperf, atomicperf-bench and atomicperf-ffi together (cargo
#   packages the three, builds each from its packaged files, bench against the packaged core, ffi
#   against both, and stops short of the upload);
# - every other workspace crate has `publish = false`;
# - the workspace's dependencies on atomicperf and atomicperf-bench ask for the version being
#   published;
# - each .crate in dist/rust/ holds README.md, LICENSE-MIT and LICENSE-APACHE as files (they
#   are symlinks in the repository) identical to the repository's, the ffi crate also
#   include/atomicperf.h; no file in any of them is over 256 KiB.
#
# DIST_ALLOW_DIRTY=1 passes --allow-dirty, as for scripts/dist-rust.sh.
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

crates=(atomicperf atomicperf-bench atomicperf-ffi)
dirty=()
[ "${DIST_ALLOW_DIRTY:-}" != 1 ] || dirty=(--allow-dirty)
cd "$AP_ROOT"
# cargo verifies a package by building it in the target directory, where ffi/build.rs would then
# rewrite target/debug/atomicperf.pc for the unpacked copy: a directory of its own instead.
export CARGO_TARGET_DIR="$AP_ROOT/target/dist-rust"
fail() { echo "test-dist-rust: $*" >&2; exit 1; }

# Which crates are publishable, as cargo reads the manifests.
cargo metadata --format-version 1 --no-deps --locked | python3 -c '
import json, sys
want = set(sys.argv[1:])
for p in json.load(sys.stdin)["packages"]:
    name, publishable = p["name"], p["publish"] != []
    print("  %s: %s" % (name, "publishable" if publishable else "publish = false"))
    if publishable != (name in want):
        sys.exit("test-dist-rust: %s should %sbe publishable" % (name, "" if name in want else "not "))
' "${crates[@]}"

for name in atomicperf atomicperf-bench; do
    dep="$(sed -n '/^\[workspace.dependencies\]/,/^\[/s/^'"$name"' *= *{.*version *= *"\([^"]*\)".*/\1/p' Cargo.toml)"
    [ "$dep" = "$AP_VERSION" ] \
        || fail "[workspace.dependencies] $name asks for version '$dep', the workspace is $AP_VERSION"
done

# cargo verifies each crate against the others through a temporary local registry, whose crates
# it unpacks once into $CARGO_HOME/registry/src/-<hash of that registry's path>/ and never again:
# the next dry-run would build against the first run's sources (a removed module, a dependency
# that is no longer declared). Those copies of our own unpublished crates (local registries'
# directories are the ones whose name starts with '-') go first, so each run unpacks what it
# packaged.
for crate in "${crates[@]}"; do
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"$crate-$AP_VERSION"
done
select=()
for crate in "${crates[@]}"; do select+=(-p "$crate"); done
cargo publish --dry-run --locked "${dirty[@]}" "${select[@]}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/atomicperf-test-dist-rust.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for crate in "${crates[@]}"; do
    file="$AP_DIST/rust/$crate-$AP_VERSION.crate"
    [ -f "$file" ] || fail "$file is missing: run scripts/dist.sh rust first"
    dir="$tmp/$crate-$AP_VERSION"
    tar -C "$tmp" -xzf "$file"
    need=(README.md LICENSE-MIT LICENSE-APACHE Cargo.toml src/lib.rs)
    [ "$crate" != atomicperf-ffi ] || need+=(include/atomicperf.h build.rs)
    for f in "${need[@]}"; do
        [ -f "$dir/$f" ] && [ ! -L "$dir/$f" ] || fail "$(basename "$file") has no file $f"
    done
    cmp "$dir/LICENSE-MIT" LICENSE-MIT && cmp "$dir/LICENSE-APACHE" LICENSE-APACHE
    [ "$crate" != atomicperf-ffi ] || cmp "$dir/include/atomicperf.h" include/atomicperf.h
    big="$(find "$dir" -type f -size +256k)"
    [ -z "$big" ] || fail "$(basename "$file") holds files over 256 KiB: $big"
    grep -q '^readme = "README.md"' "$dir/Cargo.toml" || fail "$crate: no readme in its manifest"
    echo "ok: $(basename "$file"): $(find "$dir" -type f | wc -l) files, $(du -h "$file" | cut -f1);" \
        "README.md, licences$([ "$crate" != atomicperf-ffi ] || echo ', header') as files"
done
echo "test-dist-rust: ok"
