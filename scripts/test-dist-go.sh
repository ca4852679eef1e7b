#!/usr/bin/env bash
# Installs the Go module of scripts/dist-go.sh the way a user does and builds programs on it (run
# through scripts/test-dist.sh go, after scripts/dist.sh go). In a temporary directory outside the
# checkout, with no Rust tool reachable and no PKG_CONFIG_PATH or LD_LIBRARY_PATH:
#
# - a fresh module runs `go get github.com/atomicperf/atomicperf/bindings-go@v<version>` from
#   GOPROXY=file://dist/go/proxy (dependencies from proxy.golang.org) into a fresh module cache
#   and GOPATH; GONOSUMDB keeps the checksum database from being asked about our module;
# - `go vet`, then a program using several primitives (a Counter from 8 goroutines with an exact
#   total, a Gauge, a Histogram, a Registry export) is built by default and fully static
#   (`-ldflags '-extldflags -static'`, and with `-tags netgo`, which must print no glibc warning);
# - `go mod vendor` keeps the header and archive, and a -mod=vendor build works;
# - the binaries are copied elsewhere, the module cache is deleted, and they run;
# - readelf: the default binary needs no libatomicperf and has no RPATH/RUNPATH; the static one
#   has no dynamic section at all;
# - a cross build for a platform the module has no archive for (with zig cc as the C compiler)
#   stops with link_unsupported.go's message, and a CGO_ENABLED=0 build with nocgo.go's.
#
# Go's build cache is a dedicated one (target/dist-tools/go-build), so that the standard library
# and the dependencies are not compiled again on every run; it never holds the repository's own
# builds, and the module's package is always compiled anew, since its directory (in the fresh
# module cache) is part of its cache key.
#
# Only the platform of this machine is run (its programs must run here).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"
# shellcheck source=gomodule/lib.sh
source "$here/gomodule/lib.sh"

version="v$AP_VERSION"
proxy="$AP_DIST/go/proxy"
zip="$proxy/$APGO_MODULE/@v/$version.zip"
[ -f "$zip" ] || { echo "test-dist-go: $zip is missing: run scripts/dist.sh go first" >&2; exit 1; }
host="$(apgo_host_platform)"
unzip -l "$zip" | grep -q "@$version/lib/$host/libatomicperf.a" ||
    { echo "test-dist-go: the module has no archive for this machine's $host" >&2; exit 1; }

# A platform the module has no archive for, to see the build stop with the message.
missing=""
for candidate in linux_arm64 linux_riscv64 linux_386; do
    unzip -l "$zip" | grep -q "@$version/lib/$candidate/" || { missing=$candidate; break; }
done
case "$missing" in
    linux_arm64) zig_target=aarch64-linux-gnu ;;
    linux_riscv64) zig_target=riscv64-linux-gnu ;;
    linux_386) zig_target=x86-linux-gnu ;;
    *) echo "test-dist-go: every candidate platform has an archive" >&2; exit 1 ;;
esac
zig="$(ap_zig_dir)/zig"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/atomicperf-test-dist-go.XXXXXX")"
case "$tmp" in "$AP_ROOT"/*) echo "test-dist-go: $tmp is inside the checkout" >&2; exit 1 ;; esac
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
gocache="$AP_ROOT/target/dist-tools/go-build"
mkdir -p "$tmp/app" "$tmp/run" "$gocache"

cat >"$tmp/app/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

const goroutines, iters = 8, 100_000

func main() {
	reg := atomicperf.MustNewRegistry()
	defer reg.Close()
	requests := reg.MustCounter("requests_total", "Requests.", nil)
	inFlight := atomicperf.MustNewGauge(0)
	defer inFlight.Close()
	latency := atomicperf.MustNewHistogram()
	defer latency.Close()

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]uint64, 0, 100)
			for i := range iters {
				inFlight.Inc()
				requests.Inc()
				batch = append(batch, uint64(1000+(g*iters+i)%1_000_000))
				if len(batch) == cap(batch) {
					latency.RecordMany(batch)
					batch = batch[:0]
				}
				inFlight.Dec()
			}
		}()
	}
	wg.Wait()

	total, count := requests.Get(), latency.Count()
	if total != goroutines*iters || count != total || inFlight.Get() != 0 {
		fmt.Fprintf(os.Stderr, "wrong totals: counter %d histogram %d gauge %g\n", total, count, inFlight.Get())
		os.Exit(1)
	}
	p50, err := latency.Quantile(0.5)
	if err != nil {
		panic(err)
	}
	text, err := reg.Export(atomicperf.FormatPrometheus)
	if err != nil {
		panic(err)
	}
	if want := fmt.Sprintf("requests_total %d\n", total); !strings.Contains(string(text), want) {
		fmt.Fprintf(os.Stderr, "export lacks %q:\n%s", want, text)
		os.Exit(1)
	}
	if _, err := latency.Quantile(1.5); err == nil {
		fmt.Fprintln(os.Stderr, "Quantile(1.5) did not fail")
		os.Exit(1)
	}
	fmt.Printf("%d requests from %d goroutines, p50 %d ns, export ok\n", total, goroutines, p50)
}
EOF

# Everything from here on runs as on a user's machine: no Rust, no checkout, only Go and gcc.
cat >"$tmp/user.sh" <<'EOF'
set -euo pipefail
ap_assert_no_rust
tmp=$1 module=$2 version=$3 proxy=$4 checkout=$5 gocache=$6 missing=$7 zig=$8 zig_target=$9
export GOPROXY="file://$proxy,https://proxy.golang.org" GONOSUMDB="$module" GOFLAGS=-mod=mod \
    GOMODCACHE="$tmp/gomodcache" GOPATH="$tmp/gopath" GOCACHE="$gocache" GOTOOLCHAIN=local GOENV=off \
    CGO_ENABLED=1
unset CGO_CFLAGS CGO_LDFLAGS GOOS GOARCH CC
cd "$tmp/app"

echo "-- go get $module@$version"
go mod init example.com/app
go get "$module@$version"
grep "$module $version" go.mod
[ -d "$GOMODCACHE/$module@$version" ] || { echo "FAIL: $module@$version is not in the fresh module cache" >&2; exit 1; }
go vet ./...

echo "-- go build (default)"
go build -o app-default .
echo "-- go build -ldflags '-extldflags -static'"
go build -ldflags '-extldflags -static' -o app-static . 2>&1 | sed 's/^/    /'
[ -x app-static ]
echo "-- go build -tags netgo -ldflags '-extldflags -static' (no glibc warning, as the module's README says)"
out="$(go build -tags netgo -ldflags '-extldflags -static' -o app-static-netgo . 2>&1)"
[ -z "$out" ] || { echo "$out" >&2; echo "FAIL: the netgo static build printed warnings" >&2; exit 1; }

readelf -d app-default | grep -E 'NEEDED|RPATH|RUNPATH'
if readelf -d app-default | grep -q 'NEEDED.*libatomicperf'; then echo "FAIL: app-default needs libatomicperf" >&2; exit 1; fi
if readelf -d app-default | grep -qE 'RPATH|RUNPATH'; then echo "FAIL: app-default has an rpath" >&2; exit 1; fi
if grep -qF "$checkout" app-default app-static; then echo "FAIL: a binary names the checkout" >&2; exit 1; fi
file app-static
if readelf -d app-static 2>/dev/null | grep -q NEEDED; then echo "FAIL: app-static has dynamic dependencies" >&2; exit 1; fi
file app-static | grep -q 'statically linked' || { echo "FAIL: file does not call app-static statically linked" >&2; exit 1; }

echo "-- go mod vendor; go build -mod=vendor (the header and archive must be vendored too)"
go mod vendor
ls -l "vendor/$module/include/atomicperf.h" "vendor/$module/lib/"*/libatomicperf.a
go build -mod=vendor -o app-vendor .
rm -rf vendor

echo "-- run them after deleting the module cache, from another directory"
cp app-default app-static app-static-netgo app-vendor "$tmp/run/"
go clean -modcache
[ ! -e "$GOMODCACHE/$module@$version" ]
cd "$tmp/run"
env -u LD_LIBRARY_PATH ./app-default
./app-static
./app-static-netgo
./app-vendor

echo "-- a platform without an archive ($missing): the build must name link_unsupported.go"
cd "$tmp/app"
go mod download "$module@$version"
goos=${missing%%_*} goarch=${missing#*_}
if out="$(GOOS=$goos GOARCH=$goarch CC="$zig cc -target $zig_target" go build -o /dev/null . 2>&1)"; then
    echo "FAIL: the build for $goos/$goarch succeeded" >&2; exit 1
fi
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q 'link_unsupported.go:.*undefined: atomicperf_has_no_prebuilt_library_for_this_GOOS_GOARCH__only_' ||
    { echo "FAIL: no link_unsupported.go message" >&2; exit 1; }
echo "$out" | grep -qiE 'ld: |undefined reference|cannot find' && { echo "FAIL: reached the linker" >&2; exit 1; }

echo "-- CGO_ENABLED=0: the build must name nocgo.go"
if out="$(CGO_ENABLED=0 go build -o /dev/null . 2>&1)"; then echo "FAIL: a CGO_ENABLED=0 build succeeded" >&2; exit 1; fi
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q 'nocgo.go:.*undefined: atomicperf_needs_cgo__set_CGO_ENABLED_1_and_install_a_C_compiler' ||
    { echo "FAIL: no nocgo.go message" >&2; exit 1; }
go clean -modcache
EOF
(cd "$tmp" && ap_scrubbed_env bash -c "$(declare -f ap_assert_no_rust); source \"\$0\" \"\$@\"" \
    "$tmp/user.sh" "$tmp" "$APGO_MODULE" "$version" "$proxy" "$AP_ROOT" "$gocache" "$missing" "$zig" "$zig_target")
echo "test-dist-go: ok"
