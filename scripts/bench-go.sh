#!/usr/bin/env bash
# Builds libatomicperf (release), places it in the Go module (bindings-go/lib/<GOOS>_<GOARCH>/,
# linked statically, as a released module does), runs the Go binding's benchmarks, then prints
# the ratios measured in that one run: a cgo call against sync/atomic and a sync.Mutex counter,
# what the Close-safety bookkeeping costs, and the batch calls (AddMany, RecordMany of 1,000
# values) against one call per value (target: at least 10x cheaper per value). Then the direct paths
# (Counter and Gauge writing their C cells with sync/atomic, no cgo call) against atomic.AddUint64
# on a Go variable (target: within 1.5x), the cgo call (target: at least 8x faster) and
# client_golang (target: faster under RunParallel), and the ways of picking a stripe.
#
#   scripts/bench-go.sh                  # BENCHTIME=1s by default
#   BENCHTIME=3s scripts/bench-go.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

for tool in cargo go; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-go.sh: missing $tool" >&2; exit 1; }
done
# shellcheck source=gomodule/lib.sh
source "$root/scripts/gomodule/lib.sh"

cargo build --release -p atomicperf-ffi
# The module links lib/<GOOS>_<GOARCH>/libatomicperf.a (as a released module does): put the
# release archive there. Its hash and the header's key Go's build cache (see apgo_cgo_cflags), so
# a package built earlier against the debug archive of scripts/test-go.sh is not reused.
apgo_place_library "$root/target/release/libatomicperf.a"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/bench.txt"
unset PKG_CONFIG_PATH
export CGO_ENABLED=1 CGO_CFLAGS="$(apgo_cgo_cflags)" CGO_LDFLAGS="-O2 -g"
(cd bindings-go && go test -c -o "$tmp/bench.test" .)
if readelf -d "$tmp/bench.test" | grep -qE 'NEEDED.*libatomicperf|RPATH|RUNPATH'; then
    echo "bench-go.sh: the benchmark binary loads libatomicperf dynamically; it should link the static archive" >&2
    readelf -d "$tmp/bench.test" | grep -E 'NEEDED|PATH' >&2
    exit 1
fi
(cd bindings-go && "$tmp/bench.test" -test.run '^$' -test.bench . -test.benchtime "${BENCHTIME:-1s}") | tee "$out"

# Shared by every table below: each benchmark line (name-P  iterations  X ns/op  [Y ns/value])
# becomes v[name] = ns per value, and ratio() prints a / b with an optional ">= target" verdict.
ratio_lib='
    /^Benchmark/ {
        name = $1; sub(/-[0-9]+$/, "", name)
        for (i = 3; i < NF; i++) if ($(i+1) == "ns/value") v[name] = $i
    }
    function ratio(label, a, b, target,    r, verdict) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-*s n/a\n", width, label; return }
        r = v[a] / v[b]
        verdict = ""
        if (target > 0) verdict = (r >= target) ? sprintf("  (target >= %dx: met)", target) \
                                                : sprintf("  (target >= %dx: MISSED)", target)
        printf "%-*s %8.2fx  (%s / %s ns)%s\n", width, label, r, v[a], v[b], verdict
    }
    BEGIN { if (width == 0) width = 58 }
'

echo
echo "==== Go ratios (one run, $(nproc) CPUs; ns per value) ===="
awk "$ratio_lib"'
    # check: like ratio, with a target that may be fractional and an upper (at most) or lower
    # (at least) bound.
    function check(label, a, b, bound, target,    r, ok) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-58s n/a\n", label; return }
        r = v[a] / v[b]
        ok = (bound == "at most") ? (r <= target) : (r >= target)
        printf "%-58s %8.2fx  (%s / %s ns)  (target %s %gx: %s)\n", label, r, v[a], v[b], bound, target, ok ? "met" : "MISSED"
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
        # Direct cell writes (Counter.Inc/Add, Gauge): no cgo call.
        check("Counter.Inc direct / atomic.AddUint64, 1 goroutine", c "direct", c "atomic", "at most", 1.5)
        check("Counter.Inc cgo / direct, 1 goroutine", c "cgo", c "direct", "at least", 8)
        ratio("Counter.Inc prometheus / direct, 1 goroutine", c "prometheus", c "direct", 0)
        check("Counter.Inc direct / atomic.AddUint64, RunParallel", p "direct", p "atomic", "at most", 1.5)
        check("Counter.Inc cgo / direct, RunParallel", p "cgo", p "direct", "at least", 8)
        check("Counter.Inc prometheus / direct, RunParallel", p "prometheus", p "direct", "at least", 1)
        check("Counter.Add cgo / direct, 1 goroutine", "BenchmarkCounterAdd/single-cgo", "BenchmarkCounterAdd/single", "at least", 8)
        ratio("Counter.AddMany(1000) cheaper per value than cgo Add by", "BenchmarkCounterAdd/single-cgo", "BenchmarkCounterAdd/many-1000", 10)
        g = "BenchmarkGauge/"
        check("Gauge.Set cgo / direct", g "set-cgo", g "set-direct", "at least", 8)
        check("Gauge.Add cgo / direct", g "add-cgo", g "add-direct", "at least", 8)
        check("Gauge.Get cgo / direct", g "get-cgo", g "get-direct", "at least", 8)
        ratio("Gauge.Add prometheus / direct (both CAS loops)", g "add-prometheus", g "add-direct", 0)
        s = "BenchmarkStripeChoice/"
        ratio("Stripe choice, 1 goroutine: stack hash / P id", s "stack-hash", s "p-id", 0)
        ratio("Stripe choice, 1 goroutine: sync.Pool / P id", s "pool", s "p-id", 0)
        ratio("Stripe choice, RunParallel: stack hash / P id", s "stack-hash-parallel", s "p-id-parallel", 0)
        ratio("Stripe choice, RunParallel: sync.Pool / P id", s "pool-parallel", s "p-id-parallel", 0)
        ratio("Stripe choice, RunParallel: round-robin / P id", s "round-robin-parallel", s "p-id-parallel", 0)
        ratio("Stripe choice, RunParallel: one stripe / P id", s "one-stripe-parallel", s "p-id-parallel", 0)
    }
' "$out"

# The hot paths against the Go tools a service would otherwise use, with their targets:
# Histogram.Record, Timer.Record and MinMax.Record write the C cells with sync/atomic (no cgo
# call), SnapshotCell.Load of an unchanged value is one atomic load, and a repeated Registry
# look-up is served by the Go-side cache (no cgo call, no allocation).
echo
echo "==== Go hot paths vs Go's own tools (same run; ns per call, ours / theirs) ===="
awk "$ratio_lib"'
    /^Benchmark/ { for (i = 3; i < NF; i++) if ($(i+1) == "allocs/op") allocs[name] = $i }
    function check(label, a, b, bound, target,    r, ok) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-62s n/a\n", label; return }
        r = v[a] / v[b]
        ok = (bound == "at most") ? (r <= target) : (r >= target)
        printf "%-62s %8.2fx  (%s / %s ns)  (target %s %gx: %s)\n", label, r, v[a], v[b], bound, target, ok ? "met" : "MISSED"
    }
    END {
        h = "BenchmarkHistogramObserve/"; hp = "BenchmarkHistogramObserveParallel/"
        check("Histogram.Record / client_golang Observe, 1 goroutine", h "direct", h "prometheus", "at most", 1.0)
        check("client_golang Observe / Histogram.Record, RunParallel", hp "prometheus", hp "direct", "at least", 2)
        check("Histogram.Record cgo (before) / direct, 1 goroutine", h "cgo", h "direct", "at least", 1)
        sr = "BenchmarkSummaryRecord/"; srp = "BenchmarkSummaryRecordParallel/"
        check("Summary.Record / Histogram.Record (both direct), 1 goroutine", sr "summary", sr "histogram", "at most", 2)
        check("Summary.Record / Histogram.Record (both direct), RunParallel", srp "summary", srp "histogram", "at most", 2)
        check("Summary.Record cgo (before) / direct, 1 goroutine", sr "summary-cgo", sr "summary", "at least", 1)
        check("Summary.Record cgo (before) / direct, RunParallel", srp "summary-cgo", srp "summary", "at least", 1)
        check("client_golang Summary.Observe / Summary.Record, 1 goroutine", sr "prometheus", sr "summary", "at least", 1)
        t = "BenchmarkTimerRecord/"; tp = "BenchmarkTimerRecordParallel/"
        check("Timer.Record / mutex struct, 1 goroutine", t "direct", t "mutex", "at most", 1.5)
        check("mutex struct / Timer.Record, RunParallel", tp "mutex", tp "direct", "at least", 1)
        m = "BenchmarkMinMaxRecord/"; mp = "BenchmarkMinMaxRecordParallel/"
        check("MinMax.Record / mutex struct, 1 goroutine", m "direct", m "mutex", "at most", 1.5)
        check("mutex struct / MinMax.Record, RunParallel", mp "mutex", mp "direct", "at least", 1)
        c = "BenchmarkSnapshotCellLoad/"
        check("SnapshotCell.Load unchanged / atomic.Pointer.Load", c "unchanged", c "atomic.Pointer", "at most", 8)
        if (c "unchanged" in v) printf "%-62s %8.2f ns  (target at most 3 ns: %s)\n", "SnapshotCell.Load unchanged", v[c "unchanged"], (v[c "unchanged"] <= 3) ? "met" : "MISSED"
        l = "BenchmarkRegistryLookup/"
        check("Registry.Counter look-up (labelled) / WithLabelValues", l "atomicperf", l "prometheus-values", "at most", 2)
        if (l "atomicperf" in allocs) printf "%-62s %8s allocs/op  (WithLabelValues: %s; target 0: %s)\n", "Registry.Counter look-up allocations", allocs[l "atomicperf"], allocs[l "prometheus-values"], (allocs[l "atomicperf"] == 0) ? "met" : "MISSED"
    }
' "$out"

# MinMax, Timer and AsyncRecorder (bindings-go/bench_metrics_test.go): the direct path and the
# one cgo call it replaced, against the sync.Mutex-guarded Go struct of the same fields.
echo
echo "==== Go ratios: MinMax, Timer, AsyncRecorder (same run; ns per value) ===="
awk "$ratio_lib"'
    END {
        ratio("Timer.Record, 1 goroutine: direct / mutex struct", "BenchmarkTimerRecord/direct", "BenchmarkTimerRecord/mutex")
        ratio("Timer.Record, 1 goroutine: cgo / mutex struct", "BenchmarkTimerRecord/cgo", "BenchmarkTimerRecord/mutex")
        ratio("Timer.Record, RunParallel: direct / mutex struct", "BenchmarkTimerRecordParallel/direct", "BenchmarkTimerRecordParallel/mutex")
        ratio("Timer.Record, RunParallel: cgo / mutex struct", "BenchmarkTimerRecordParallel/cgo", "BenchmarkTimerRecordParallel/mutex")
        ratio("MinMax.Record, 1 goroutine: direct / mutex struct", "BenchmarkMinMaxRecord/direct", "BenchmarkMinMaxRecord/mutex")
        ratio("MinMax.Record, 1 goroutine: cgo / mutex struct", "BenchmarkMinMaxRecord/cgo", "BenchmarkMinMaxRecord/mutex")
        ratio("MinMax.Record, RunParallel: direct / mutex struct", "BenchmarkMinMaxRecordParallel/direct", "BenchmarkMinMaxRecordParallel/mutex")
        ratio("MinMax.Record, RunParallel: cgo / mutex struct", "BenchmarkMinMaxRecordParallel/cgo", "BenchmarkMinMaxRecordParallel/mutex")
        ratio("Timer, RunParallel: AsyncRecorder.RecordTimer / Record", "BenchmarkAsyncRecorderRecord/timer-async", "BenchmarkAsyncRecorderRecord/timer-direct")
    }
' "$out"

# ShardedMap and Ledger (bindings-go/bench_state_test.go): one cgo call per operation against
# the Go they replace. Ratios are cgo / Go: below 1 the binding is faster. sync.Map and the
# RWMutex map return their stored slice; ShardedMap.Get copies the value out of C memory.
# Informational (no target): a cgo call alone costs about as much as these Go operations, so the
# binding wins only where the lock it replaces is contended across many cores.
echo
echo "==== Go ratios: ShardedMap, Ledger (same run; ns per op, cgo / Go) ===="
awk "$ratio_lib"'
    END {
        g = "BenchmarkShardedMapGet/"; p = "BenchmarkShardedMapGetParallel/"; x = "BenchmarkShardedMapMixedParallel/"
        ratio("ShardedMap.Get, 1 goroutine: cgo / sync.Map", g "cgo", g "sync.Map")
        ratio("ShardedMap.Get, 1 goroutine: cgo / RWMutex map", g "cgo", g "rwmutex")
        ratio("ShardedMap.Get, RunParallel: cgo / sync.Map", p "cgo", p "sync.Map")
        ratio("ShardedMap.Get, RunParallel: cgo / RWMutex map", p "cgo", p "rwmutex")
        ratio("ShardedMap 90% Get 10% Insert, RunParallel: cgo / sync.Map", x "cgo", x "sync.Map")
        ratio("ShardedMap 90% Get 10% Insert, RunParallel: cgo / RWMutex", x "cgo", x "rwmutex")
        ratio("Ledger.Transfer, 1 goroutine: cgo / global mutex", "BenchmarkLedgerTransfer/cgo", "BenchmarkLedgerTransfer/mutex")
        ratio("Ledger.Transfer, RunParallel: cgo / global mutex", "BenchmarkLedgerTransferParallel/cgo", "BenchmarkLedgerTransferParallel/mutex")
    }
' "$out"

# Ledger.TransferMany (bindings-go/bench_state_test.go): the same transfers as batches of 1,000
# in one cgo call, as one cgo call each, and through the Go map behind one sync.Mutex. Ratios are
# ns per transfer of the other / TransferMany: above 1 TransferMany is faster.
echo
echo "==== Go ratios: Ledger.TransferMany (same run; ns per transfer, other / TransferMany) ===="
awk "$ratio_lib"'
    END {
        m = "BenchmarkLedgerTransferMany/"; p = "BenchmarkLedgerTransferManyParallel/"
        ratio("TransferMany(1000) cheaper per transfer than Transfer by", m "single", m "many-1000", 10)
        ratio("  same, RunParallel", p "single", p "many-1000", 10)
        ratio("TransferMany(1000) faster than the Go mutex map by", m "mutex", m "many-1000", 1)
        ratio("  same, RunParallel", p "mutex", p "many-1000", 1)
    }
' "$out"

# Registry (bindings-go/bench_registry_test.go) against client_golang. A repeated look-up is
# served by the Registry's Go-side cache (no cgo call, no allocation), as WithLabelValues is. Export
# is one scrape of 10,000 counter series as Prometheus text. Ratios are ours / client_golang's:
# below 1 atomicperf is faster.
echo
echo "==== Go ratios: Registry vs client_golang (same run; ns per op, ours / theirs) ===="
awk -v width=62 "$ratio_lib"'
    END {
        l = "BenchmarkRegistryLookup/"; lp = "BenchmarkRegistryLookupParallel/"; e = "BenchmarkRegistryExport/"
        ratio("Lookup of a labelled counter: Registry.Counter / WithLabelValues", l "atomicperf", l "prometheus-values")
        ratio("  same / CounterVec.With(Labels)", l "atomicperf", l "prometheus-labels")
        ratio("  same, RunParallel / WithLabelValues", lp "atomicperf", lp "prometheus-values")
        ratio("Export 10k series: Export(Prometheus) / Gather+expfmt text", e "atomicperf", e "prometheus-text")
        ratio("  Export(Prometheus) / Gather alone", e "atomicperf", e "prometheus-gather")
        ratio("  Export(JSON) / Export(Prometheus)", e "atomicperf-json", e "atomicperf")
        ratio("  Collector in client_golang (Gather+text) / CounterVec", e "atomicperf-collector-text", e "prometheus-text")
    }
' "$out"

# SharedRegistry (bindings-go/bench_shared_registry_test.go): the direct writes of metrics whose
# cells are in a shared-memory segment against the same metrics of an in-process Registry. Ratios
# are shared / in-process (target: at most 1.5x).
echo
echo "==== Go ratios: SharedRegistry direct writes / in-process (same run; target at most 1.5x) ===="
awk -v width=62 "$ratio_lib"'
    function check(label, a, b,    r) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-62s n/a\n", label; return }
        r = v[a] / v[b]
        printf "%-62s %8.2fx  (%s / %s ns)  (target at most 1.5x: %s)\n", label, r, v[a], v[b], (r <= 1.5) ? "met" : "MISSED"
    }
    END {
        split("counter-inc gauge-add histogram-record timer-record", m, " ")
        for (i = 1; i <= 4; i++) {
            s = "BenchmarkSharedRegistryRecord/" m[i] "/"; p = "BenchmarkSharedRegistryRecordParallel/" m[i] "/"
            check(m[i] " shared / in-process, 1 goroutine", s "shared", s "inprocess")
            check(m[i] " shared / in-process, RunParallel", p "shared", p "inprocess")
        }
    }
' "$out"

# NativeHistogram (bindings-go/bench_native_test.go): Record against the classic Histogram.Record
# (target: at most 1.2x) and client_golang's native histogram Observe (target: at least 10x
# faster under RunParallel).
echo
echo "==== Go ratios: NativeHistogram (same run; ns per value) ===="
awk -v width=62 "$ratio_lib"'
    function atmost(label, a, b, target,    r) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-62s n/a\n", label; return }
        r = v[a] / v[b]
        printf "%-62s %8.2fx  (%s / %s ns)  (target at most %gx: %s)\n", label, r, v[a], v[b], target, (r <= target) ? "met" : "MISSED"
    }
    END {
        s = "BenchmarkNativeHistogramRecord/"; p = "BenchmarkNativeHistogramRecordParallel/"
        atmost("NativeHistogram.Record / Histogram.Record, 1 goroutine", s "native", s "classic", 1.2)
        atmost("  same, RunParallel", p "native", p "classic", 1.2)
        ratio("client_golang native Observe / ours, 1 goroutine", s "client_golang-native", s "native")
        ratio("client_golang native Observe / ours, RunParallel", p "client_golang-native", p "native", 10)
        e = "BenchmarkNativeHistogramExport/"
        ratio("Export 10k native series: client_golang Gather / ours (protobuf)", e "prometheus-gather", e "atomicperf", 1)
        ratio("  Gather + protobuf encoding / ours", e "prometheus-gather-protobuf", e "atomicperf")
    }
' "$out"

# Exemplars (bindings-go/bench_exemplar_test.go): a record with an exemplar against the plain
# record (target: at most 2x), and client_golang's AddWithExemplar / ObserveWithExemplar.
echo
echo "==== Go ratios: exemplars (same run; ns per value) ===="
awk -v width=62 "$ratio_lib"'
    function atmost(label, a, b, target,    r) {
        if (!(a in v) || !(b in v) || v[b] == 0) { printf "%-62s n/a\n", label; return }
        r = v[a] / v[b]
        printf "%-62s %8.2fx  (%s / %s ns)  (target at most %gx: %s)\n", label, r, v[a], v[b], target, (r <= target) ? "met" : "MISSED"
    }
    END {
        s = "BenchmarkExemplar/"
        atmost("Counter.IncWithExemplar / Counter.Inc", s "counter-inc-exemplar", s "counter-inc", 2)
        atmost("Histogram.RecordWithExemplar / Histogram.Record", s "histogram-record-exemplar", s "histogram-record", 2)
        ratio("client_golang AddWithExemplar / ours", s "client_golang-counter-exemplar", s "counter-inc-exemplar")
        ratio("client_golang ObserveWithExemplar / ours", s "client_golang-histogram-exemplar", s "histogram-record-exemplar")
    }
' "$out"

# Binding overhead: what one call costs on a service's hot path, beside the Go a service would
# otherwise use (sync/atomic, sync.Map, an RWMutex) and client_golang. Counter.Inc writes its C
# cells with sync/atomic (no cgo call); Histogram.Record, ShardedMap.Get and SnapshotCell.Load
# are one cgo call each (Get and Load also copy the value out of C memory).
echo
echo "==== Go binding overhead (same run; ns per call, 1 goroutine) ===="
awk "$ratio_lib"'
    function row(label, a, b, blabel,    r) {
        if (!(a in v)) { printf "%-34s n/a\n", label; return }
        if (!(b in v) || v[b] == 0) { printf "%-34s %9.2f ns\n", label, v[a]; return }
        printf "%-34s %9.2f ns   %-30s %9.2f ns   %8.2fx\n", label, v[a], blabel, v[b], v[a] / v[b]
    }
    END {
        printf "%-34s %12s   %-30s %12s   %9s\n", "atomicperf call", "ns/call", "beside", "ns/call", "ratio"
        row("Counter.Inc (direct)", "BenchmarkCounterInc/direct", "BenchmarkCounterInc/atomic", "atomic.AddUint64")
        row("Counter.Inc (direct)", "BenchmarkCounterInc/direct", "BenchmarkCounterInc/prometheus", "client_golang Counter.Inc")
        row("Counter.Inc (cgo, for reference)", "BenchmarkCounterInc/cgo", "BenchmarkCounterInc/atomic", "atomic.AddUint64")
        row("Histogram.Record (direct)", "BenchmarkHistogramObserve/direct", "BenchmarkHistogramObserve/prometheus", "client_golang Observe")
        row("ShardedMap.Get (cgo)", "BenchmarkShardedMapGet/cgo", "BenchmarkShardedMapGet/sync.Map", "sync.Map.Load")
        row("ShardedMap.Get (cgo)", "BenchmarkShardedMapGet/cgo", "BenchmarkShardedMapGet/rwmutex", "RWMutex map")
        row("SnapshotCell.Load (unchanged)", "BenchmarkSnapshotCellLoad/unchanged", "BenchmarkSnapshotCellLoad/atomic.Pointer", "atomic.Pointer.Load")
        row("SnapshotCell.LoadCopy (cgo)", "BenchmarkSnapshotCellLoad/copy", "BenchmarkSnapshotCellLoad/rwmutex", "RWMutex value")
    }
' "$out"
