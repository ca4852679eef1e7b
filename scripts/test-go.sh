#!/usr/bin/env bash
# Builds libatomicperf (debug) and runs the Go binding's checks: go vet, then every test and
# runnable example under the race detector. The module links the library the way a released one
# does (scripts/gomodule/lib.sh): the fresh libatomicperf.a goes to
# bindings-go/lib/<GOOS>_<GOARCH>/ and include/atomicperf.h to bindings-go/include/, and the
# committed link_*.go files must be what scripts/gomodule/lib.sh writes for AP_PLATFORMS.
# Works from anywhere and on a fresh Debian/Ubuntu machine: installs gcc (cgo needs it) when
# missing. Needs cargo and Go >= 1.24.
#
#   scripts/test-go.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=()
command -v "${CC:-gcc}" >/dev/null 2>&1 || missing+=(gcc)
# shellcheck source=lib/system-packages.sh
source scripts/lib/system-packages.sh
ap_install_packages test-go.sh "${missing[@]}"
for tool in cargo go; do
    command -v "$tool" >/dev/null 2>&1 || { echo "test-go.sh: missing required tool: $tool" >&2; exit 1; }
done

# shellcheck source=lib/dist-common.sh
source "$root/scripts/lib/dist-common.sh"
# shellcheck source=gomodule/lib.sh
source "$root/scripts/gomodule/lib.sh"

# The committed link files are generated: fail when they differ from what the generator writes for
# the platform list.
platforms=()
for platform in "${AP_PLATFORMS[@]}"; do
    go_dir="$(ap_platform_field "$platform" 3)"
    [ -z "$go_dir" ] || platforms+=("$go_dir")
done
check="$(mktemp -d)"
trap 'rm -rf "$check"' EXIT
mkdir "$check/expected" "$check/committed"
apgo_link_files "$check/expected" "${platforms[@]}"
cp bindings-go/link_*.go "$check/committed/"
if ! diff -ru "$check/expected" "$check/committed"; then
    echo "test-go.sh: bindings-go/link_*.go differ from what scripts/gomodule/lib.sh writes for" \
        "AP_PLATFORMS (${platforms[*]}); regenerate them with:" >&2
    echo "  bash -c 'source scripts/lib/dist-common.sh; source scripts/gomodule/lib.sh; apgo_link_files bindings-go ${platforms[*]}'" >&2
    exit 1
fi

cargo build -p atomicperf-ffi
apgo_place_library "$root/target/debug/libatomicperf.a"
echo "test-go.sh: linking bindings-go/lib/$(apgo_host_platform)/libatomicperf.a (debug)"

# No pkg-config, no rpath: the package finds everything inside the module. The header's and the
# archive's hashes key Go's build cache (see apgo_cgo_cflags).
unset PKG_CONFIG_PATH
export CGO_ENABLED=1 CGO_CFLAGS="$(apgo_cgo_cflags)" CGO_LDFLAGS="-O2 -g"
cd bindings-go
go vet ./...
go test -race -count=1 ./...
# Resident-memory tests measure the program, not the race detector's shadow state: without it,
# and with glibc's malloc on two arenas (each new OS thread that makes a cgo call would otherwise
# get an arena of its own, a step of megabytes in RSS that is no leak).
MALLOC_ARENA_MAX=2 go test -count=1 -run 'KeepMemoryFlat' .
