#!/usr/bin/env bash
# The Go module, into dist/go/ (run through scripts/dist.sh go), the way wasmtime-go and
# CosmWasm's wasmvm ship Rust to Go: the module carries the header and a prebuilt static library
# per platform, so `go get` is all a user runs (no Rust, no pkg-config, no shared library).
#
#   dist/go/module/     the module's files exactly as users get them:
#                         *.go, apgo.h, go.mod, go.sum      from bindings-go (tests and examples too)
#                         include/atomicperf.h              the root header
#                         lib/<GOOS>_<GOARCH>/libatomicperf.a   per platform (debug info stripped)
#                         link_<goos>_<goarch>.go, link_unsupported.go   for those platforms
#                         vendor_keep.go, include/keep.go, lib/*/keep.go: kept by `go mod vendor`
#                         README.md, LICENSE-MIT, LICENSE-APACHE
#   dist/go/proxy/      that module in module-proxy layout (GOPROXY=file://.../dist/go/proxy):
#                         github.com/atomicperf/atomicperf/bindings-go/@v/{list,v<ver>.info,.mod,.zip}
#
# The zip is written by golang.org/x/mod/zip (scripts/gomodule), which applies the go command's
# own rules for module zips. The link files are written again for the platforms that have an
# archive here, so a platform skipped on this machine gets link_unsupported.go's message, not a
# linker error.
#
# The static library is built with `cargo rustc --crate-type staticlib` (the release profile, in
# its own target directory target/dist-go so that other builds cannot replace it between the
# build and the copy): a staticlib needs no linker for its target, where the crate's cdylib would.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"
# shellcheck source=gomodule/lib.sh
source "$here/gomodule/lib.sh"

out="$AP_DIST/go"
stage="$out/module"
proxy="$out/proxy"
version="v$AP_VERSION"
export CARGO_TARGET_DIR="$AP_ROOT/target/dist-go"

rm -rf "$stage" "$proxy"
mkdir -p "$stage/include" "$stage/lib" "$proxy"

# The module's own files: what git tracks (or would track) in bindings-go, not what the scripts
# placed there for the repository's own tests (include/ and lib/ are gitignored).
(cd "$AP_ROOT" && git ls-files -z --cached --others --exclude-standard -- bindings-go) |
    while IFS= read -r -d '' file; do
        [ -f "$AP_ROOT/$file" ] || continue # deleted in the work tree
        rel="${file#bindings-go/}"
        mkdir -p "$stage/$(dirname "$rel")"
        cp "$AP_ROOT/$file" "$stage/$rel"
    done
cp "$AP_ROOT/include/atomicperf.h" "$stage/include/atomicperf.h"
cp "$AP_ROOT/LICENSE-MIT" "$AP_ROOT/LICENSE-APACHE" "$stage/"

platforms=()
for platform in "${AP_PLATFORMS[@]}"; do
    triple="$(ap_platform_field "$platform" 1)"
    go_dir="$(ap_platform_field "$platform" 3)"
    if [ -z "$go_dir" ]; then
        echo "dist-go: skipping $triple: no Go platform for it in AP_PLATFORMS"
        continue
    fi
    if ! ap_target_installed "$triple"; then
        echo "dist-go: skipping $go_dir: Rust target $triple not installed (rustup target add $triple)"
        continue
    fi
    apgo_link_libs "${go_dir%%_*}" >/dev/null # fails here, not in a user's build, for an unknown GOOS

    # Without the default feature push: Go pushes with net/http, and the C library's HTTP
    # transport would bring glibc's getaddrinfo into every static Go binary (see ffi/Cargo.toml).
    echo "dist-go: $go_dir: cargo rustc --release -p atomicperf-ffi --no-default-features --lib --crate-type staticlib --target $triple"
    log="$(mktemp)"
    cargo rustc --release --locked -p atomicperf-ffi --no-default-features --lib --crate-type staticlib \
        --target "$triple" -- --print native-static-libs 2>&1 | tee "$log"
    # What rustc says the archive needs must be what link_<goos>_<goarch>.go passes (minus -lc and
    # -lgcc_s, which gcc adds itself). rustc prints it only when it compiles the crate.
    needs="$(sed -n 's/.*native-static-libs: //p' "$log" | tail -1)"
    rm -f "$log"
    if [ -n "$needs" ]; then
        have=" $(apgo_link_libs "${go_dir%%_*}") -lc -lgcc_s "
        for flag in $needs; do
            case "$have" in *" $flag "*) ;; *)
                echo "dist-go: libatomicperf.a for $triple needs $flag, which apgo_link_libs in scripts/gomodule/lib.sh does not pass" >&2
                exit 1
                ;;
            esac
        done
    fi

    archive="$CARGO_TARGET_DIR/$triple/release/libatomicperf.a"
    mkdir -p "$stage/lib/$go_dir"
    cp "$archive" "$stage/lib/$go_dir/libatomicperf.a"
    # Debug info is most of the archive (28 MB -> 19 MB for x86_64); symbols stay, so a
    # user's backtraces still name functions.
    strip --strip-debug "$stage/lib/$go_dir/libatomicperf.a"
    platforms+=("$go_dir")
done
((${#platforms[@]})) || { echo "dist-go: no platform of AP_PLATFORMS could be built here" >&2; exit 1; }
apgo_link_files "$stage" "${platforms[@]}"

# `go mod vendor` copies only directories that hold a Go package imported from somewhere: give
# include/ and each lib/<platform>/ an empty package, imported by a file no build compiles (as
# wasmtime-go does, golang/go#26366), so a vendored copy still has the header and archives.
keep_imports=""
for dir in include "${platforms[@]/#/lib/}"; do
    name="$(basename "$dir")"
    printf '// Package %s holds no Go code: it keeps %s/ in vendored copies of the module.\npackage %s\n' \
        "$name" "$dir" "$name" >"$stage/$dir/keep.go"
    keep_imports="$keep_imports	_ \"$APGO_MODULE/$dir\"
"
done
cat >"$stage/vendor_keep.go" <<EOF
// Code generated by scripts/dist-go.sh; DO NOT EDIT.

//go:build atomicperf_vendor_keep

package atomicperf

// Never compiled (no build sets the tag), but \`go mod vendor\` follows imports under every tag:
// these keep the header and the static libraries in vendored copies of the module.
import (
$keep_imports)
EOF
if gofmt -l "$stage" | grep . >&2; then echo "dist-go: generated files are not gofmt-clean" >&2; exit 1; fi

list=""
for p in "${platforms[@]}"; do list="$list, ${p/_//}"; done
list="${list#, }"
cat >"$stage/README.md" <<EOF
    go get $APGO_MODULE@$version

# atomicperf for Go

Lock-free metrics and concurrency primitives (Counter, Gauge, Histogram, Timer, MinMax, Registry
with Prometheus/OpenMetrics/JSON export, ShardedMap, Ledger, SnapshotCell, ...) from the Rust
library atomicperf, through cgo.

The module is self-contained: it carries the C header (\`include/atomicperf.h\`) and a prebuilt
static library per platform (\`lib/<GOOS>_<GOARCH>/libatomicperf.a\`), for: $list.
A build needs Go 1.24 or later, cgo (\`CGO_ENABLED=1\`, the default for a native build) and a C
compiler (gcc or clang). It needs no Rust toolchain, no pkg-config and no shared library: the
library is linked into your binary, which runs wherever you copy it.

\`\`\`go
package main

import (
	"fmt"

	atomicperf "$APGO_MODULE"
)

func main() {
	requests := atomicperf.MustNewCounter()
	defer requests.Close()
	requests.Inc()
	fmt.Println(requests.Get())
}
\`\`\`

    go build .                                  # libatomicperf linked in statically
    go build -ldflags '-extldflags -static' .   # a fully static binary (Linux)

A fully static build against glibc warns "Using 'getaddrinfo' in statically linked
applications...": that is Go's package net, which this package's Collector brings in through
client_golang, resolving names with glibc. Add \`-tags netgo\` (Go's own resolver) to avoid it.

On any other platform, or with \`CGO_ENABLED=0\`, the build stops with an error that names the
file explaining what is missing (\`link_unsupported.go\`, \`nocgo.go\`).

Documentation: \`go doc $APGO_MODULE\`, and the examples in the \`example_*_test.go\` files.
Licensed under MIT OR Apache-2.0 (LICENSE-MIT, LICENSE-APACHE).
EOF

# Module-proxy layout, with the commit's time as the version's time.
when="$(git -C "$AP_ROOT" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
(cd "$here/gomodule" && go run . -dir "$stage" -module "$APGO_MODULE" -version "$version" \
    -time "$when" -out "$proxy")

echo "dist-go: $proxy"
(cd "$proxy" && find . -type f | sort | xargs ls -l | awk '{printf "  %10d  %s\n", $5, $9}')
for p in "${platforms[@]}"; do
    printf '  lib/%s/libatomicperf.a: %d bytes\n' "$p" "$(stat -c %s "$stage/lib/$p/libatomicperf.a")"
done
