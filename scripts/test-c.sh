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
if ((${#missing[@]})); then
    echo "test-c.sh: installing ${missing[*]}" >&2
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test-c.sh: apt-get not available; please install: ${missing[*]}" >&2
        exit 1
    fi
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "test-c.sh: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi

"${CARGO:-cargo}" build -p atomicperf-ffi
"${MAKE:-make}" -C tests/c test
