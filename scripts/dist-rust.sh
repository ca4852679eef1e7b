#!/usr/bin/env bash
# The Rust crates, into dist/rust/ (run through scripts/dist.sh rust): atomicperf (core),
# atomicperf-bench (the benchmark suite, which ffi's ap_bench_run runs) and atomicperf-ffi (the C
# ABI, with include/atomicperf.h) as `cargo package` makes them, each built from its packaged
# contents (cargo's verification; bench against the packaged core, ffi against both). The other
# workspace crates (cli, bindings-python, bindings-node) have `publish = false`.
#
# cargo refuses uncommitted changes in a crate; DIST_ALLOW_DIRTY=1 passes --allow-dirty for a
# local try (the .crate then records "dirty" in .cargo_vcs_info.json).
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

crates=(atomicperf atomicperf-bench atomicperf-ffi)
out="$AP_DIST/rust"
dirty=()
[ "${DIST_ALLOW_DIRTY:-}" != 1 ] || dirty=(--allow-dirty)

cd "$AP_ROOT"
# cargo verifies a package by building it in the target directory, where ffi/build.rs would then
# rewrite target/debug/atomicperf.pc for the unpacked copy: a directory of its own instead.
export CARGO_TARGET_DIR="$AP_ROOT/target/dist-rust"
select=()
for crate in "${crates[@]}"; do select+=(-p "$crate"); done
# Packaging only: scripts/test-dist-rust.sh verifies the packages by building them
# (cargo publish --dry-run), so building them here as well would only double the time.
cargo package --locked --no-verify "${dirty[@]}" "${select[@]}"
rm -rf "$out"
mkdir -p "$out"
for crate in "${crates[@]}"; do
    file="$CARGO_TARGET_DIR/package/$crate-$AP_VERSION.crate"
    cp "$file" "$out/"
    echo "dist-rust: $out/$(basename "$file") ($(du -h "$file" | cut -f1), $(tar -tzf "$file" | wc -l) files)"
done
