#!/usr/bin/env bash
# Builds libatomicperf (debug) and runs the Go binding's checks: go vet, then every test and
# runnable example under the race detector. Works from anywhere and on a fresh Debian/Ubuntu
# machine: installs pkg-config and gcc (cgo needs both) when missing. Needs cargo and Go >= 1.24.
#
#   scripts/test-go.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v "${CC:-gcc}" >/dev/null 2>&1 || missing+=(gcc)
if ((${#missing[@]})); then
    echo "test-go.sh: installing ${missing[*]}" >&2
    command -v apt-get >/dev/null 2>&1 || { echo "test-go.sh: please install ${missing[*]}" >&2; exit 1; }
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "test-go.sh: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi
for tool in cargo go; do
    command -v "$tool" >/dev/null 2>&1 || { echo "test-go.sh: missing required tool: $tool" >&2; exit 1; }
done

cargo build -p atomicperf-ffi

libdir="$root/target/debug"
# Go's build cache ignores pkg-config output and C headers (golang/go#24544, #24355): flags naming
# the profile and the header's hash are part of the cache key, so a package built against
# target/release or an older header is not reused.
export PKG_CONFIG_PATH="$libdir" CGO_ENABLED=1
export CGO_CFLAGS="-O2 -g -DAPGO_HEADER_SHA=$(sha256sum include/atomicperf.h | cut -c1-16)"
export CGO_LDFLAGS="-O2 -g -L$libdir -Wl,-rpath,$libdir"
cd bindings-go
go vet ./...
go test -race -count=1 ./...
