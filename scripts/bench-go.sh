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

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
(
    cd bindings-go
    PKG_CONFIG_PATH="$root/target/release" CGO_ENABLED=1 \
        go test -run '^$' -bench . -benchtime "${BENCHTIME:-1s}" -count 1 .
) | tee "$out"

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
