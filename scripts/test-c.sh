#!/usr/bin/env bash
# Builds libatomicperf (cargo) and runs the C test suite in tests/c under ASan+UBSan (LeakSanitizer
# on), plus a statically linked build. Run from anywhere; it works from the repository root.
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
"${MAKE:-make}" -C tests/c test
