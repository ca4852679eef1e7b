#!/usr/bin/env bash
# Builds libatomicperf (release) and runs the Go binding's benchmarks, then prints the ratios
# measured in that one run: a cgo call against sync/atomic and a sync.Mutex counter, what the
# Close-safety bookkeeping costs, and the batch calls (AddMany, RecordMany of 1,000 values)
# against one call per value (target: at least 10x cheaper per value).
#
#   scripts/bench-go.sh                  # BENCHTIME=1s by default
#   BENCHTIME=3s scripts/bench-go.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

for tool in cargo go pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-go.sh: missing $tool (scripts/test-go.sh installs pkg-config)" >&2; exit 1; }
done

cargo build --release -p atomicperf-ffi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/bench.txt"
libdir="$root/target/release"
# Go's build cache ignores pkg-config output and C headers (golang/go#24544, #24355): a package
# built earlier against target/debug would be reused. Flags naming the profile and the header's
# hash are part of the cache key, so the package is rebuilt when either changes.
export PKG_CONFIG_PATH="$libdir" CGO_ENABLED=1
export CGO_CFLAGS="-O2 -g -DAPGO_HEADER_SHA=$(sha256sum include/atomicperf.h | cut -c1-16)"
export CGO_LDFLAGS="-O2 -g -L$libdir -Wl,-rpath,$libdir"
(cd bindings-go && go test -c -o "$tmp/bench.test" .)
readelf -d "$tmp/bench.test" | grep -q "path: \[$libdir\]" || {
    echo "bench-go.sh: benchmark binary is not linked against $libdir/libatomicperf.so" >&2
    readelf -d "$tmp/bench.test" | grep -i path >&2
    exit 1
}
(cd bindings-go && "$tmp/bench.test" -test.run '^$' -test.bench . -test.benchtime "${BENCHTIME:-1s}") | tee "$out"

echo
echo "==== Go ratios (one run, $(nproc) CPUs; ns per value) ===="
awk '
    # Benchmark lines: name-P  iterations  X ns/op  [Y ns/value]
    /^Benchmark/ {
        name = $1; sub(/-[0-9]+$/, "", name)
        for (i = 3; i < NF; i++) if ($(i+1) == "ns/value") v[name] = $i
    }
    function ratio(label, a, b, target,    r, verdict) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-58s n/a\n", label; return }
        r = v[a] / v[b]
        verdict = ""
        if (target > 0) verdict = (r >= target) ? sprintf("  (target >= %dx: met)", target) \
                                                : sprintf("  (target >= %dx: MISSED)", target)
        printf "%-58s %8.2fx  (%s / %s ns)%s\n", label, r, v[a], v[b], verdict
    }
    function diff(label, a, b) {
        if (!(a in v) || !(b in v)) { printf "%-58s n/a\n", label; return }
        printf "%-58s %+8.2f ns\n", label, v[a] - v[b]
    }
    END {
        c = "BenchmarkCounterInc/"; p = "BenchmarkCounterIncParallel/"
        ratio("Counter.Inc, 1 goroutine: cgo is slower than atomic by", c "cgo", c "atomic", 0)
        ratio("Counter.Inc, 1 goroutine: cgo is slower than mutex by", c "cgo", c "mutex", 0)
        diff("Counter.Inc, 1 goroutine: Close-safety bookkeeping costs", c "cgo", c "cgo-unguarded")
        ratio("Counter.Inc, RunParallel: cgo is slower than atomic by", p "cgo", p "atomic", 0)
        ratio("Counter.Inc, RunParallel: cgo is slower than mutex by", p "cgo", p "mutex", 0)
        diff("Counter.Inc, RunParallel: Close-safety bookkeeping costs", p "cgo", p "cgo-unguarded")
        ratio("Counter.AddMany(1000) cheaper per value than Add by", "BenchmarkCounterAdd/single", "BenchmarkCounterAdd/many-1000", 10)
        ratio("Histogram.RecordMany(1000) cheaper per value than Record by", "BenchmarkHistogramRecord/single", "BenchmarkHistogramRecord/many-1000", 10)
        ratio("  same, RunParallel", "BenchmarkHistogramRecordParallel/single", "BenchmarkHistogramRecordParallel/many-1000", 10)
        diff("Histogram.Record, 1 goroutine: Close-safety bookkeeping costs", "BenchmarkHistogramRecord/single", "BenchmarkHistogramRecord/single-unguarded")
    }
' "$out"
