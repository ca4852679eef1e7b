#!/usr/bin/env bash
# Builds every artifact a user installs into dist/, from a clean checkout, in release mode:
#
#   scripts/dist.sh                 # all of them
#   scripts/dist.sh python node     # some: python, node, go, c, rust
#
#   dist/python/  abi3 wheel for manylinux2014 (glibc 2.17) and the sdist
#   dist/npm/     the main npm package and one package per platform (.tgz, as `npm pack` makes)
#   dist/go/      the Go module with its prebuilt static libraries, in module-proxy layout
#   dist/c/       the C library: an install tree (`make install PREFIX=...`) and its tarball
#   dist/rust/    the crates as `cargo package` makes them (publish dry-run)
#
# Every artifact has the version of [workspace.package] in Cargo.toml. The platforms are the
# list AP_PLATFORMS in scripts/lib/dist-common.sh. scripts/test-dist.sh installs the artifacts
# the way users do and runs them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"

all=(python node go c rust)
parts=("$@")
((${#parts[@]})) || parts=("${all[@]}")
for part in "${parts[@]}"; do
    case " ${all[*]} " in *" $part "*) ;; *) echo "dist.sh: unknown part '$part' (one of: ${all[*]})" >&2; exit 2 ;; esac
done

mkdir -p "$AP_DIST"
for part in "${parts[@]}"; do
    start=$SECONDS
    printf '\n---- dist: %s (version %s) ----\n' "$part" "$AP_VERSION"
    "$here/dist-$part.sh"
    printf -- '---- dist: %s done in %ss\n' "$part" $((SECONDS - start))
done
