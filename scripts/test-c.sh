#!/usr/bin/env bash
# Builds libatomicperf and runs the C test suite in tests/c under ASan+UBSan (LeakSanitizer on),
# plus a statically linked build. The Rust library itself is built with AddressSanitizer
# (nightly -Zsanitizer=address, into target/asan), so a use after free inside the Rust code is
# caught as well as one in the C tests; `make asan-probe` proves it is instrumented. Without a
# nightly toolchain the suite runs against the ordinary debug build, and says so.
# Run from anywhere; it works from the repository root.
#
#   scripts/test-c.sh
#
# Environment: CARGO (default cargo), MAKE (default make), CC (default gcc).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# Tools the C build needs. On a fresh Debian/Ubuntu machine, install what is missing.
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v "${CC:-gcc}" >/dev/null 2>&1 || missing+=(gcc)
command -v "${MAKE:-make}" >/dev/null 2>&1 || missing+=(make)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
# shellcheck source=lib/system-packages.sh
source scripts/lib/system-packages.sh
ap_install_packages test-c.sh "${missing[@]}"

"${CARGO:-cargo}" build -p atomicperf-ffi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    # --target keeps build scripts uninstrumented; the library lands in target/asan/<triple>/debug
    # with its atomicperf.pc (whose rpath points there).
    triple=x86_64-unknown-linux-gnu
    # Full debug info (the workspace's test builds keep line tables only): ASan's reports, and
    # the probe below, name the Rust source file of every frame.
    CARGO_PROFILE_DEV_DEBUG=2 RUSTFLAGS="-Zsanitizer=address" "${CARGO:-cargo}" +nightly build -p atomicperf-ffi \
        --target "$triple" --target-dir target/asan
    asan="$repo/target/asan/$triple/debug"
    "${MAKE:-make}" -C tests/c asan-probe PKG_DIR="$asan" BUILD=build-asan
    "${MAKE:-make}" -C tests/c test PKG_DIR="$asan" BUILD=build-asan
    # The fork matrix's busy phase, on the real allocator (ASan's is not fork-safe).
    "${MAKE:-make}" -C tests/c fork-plain
else
    echo "test-c.sh: no nightly toolchain: the Rust library is NOT instrumented (C side only)" >&2
    "${MAKE:-make}" -C tests/c test
fi
