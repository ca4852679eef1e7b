// Package atomicperf is the Go binding of atomicperf, a Rust library of lock-free metrics
// primitives, over its C ABI (include/atomicperf.h) through cgo.
//
// The package offers the same primitives, with the same method names, as the Rust crate and the
// Python and Node bindings: [Counter] (monotonic, striped over cache-padded cells), [Gauge] (a
// float64 adjusted without a lock) and [Histogram] (lock-free log-linear buckets with quantiles).
// Every metric is safe for concurrent use by many goroutines.
//
// # Building
//
// The module is self-contained: it carries include/atomicperf.h and a prebuilt static
// lib/<GOOS>_<GOARCH>/libatomicperf.a for each platform it was built for, and links it with
// ${SRCDIR}-relative #cgo directives (link_<goos>_<goarch>.go). A released version needs only Go,
// cgo and a C compiler:
//
//	go get github.com/atomicperf/atomicperf/bindings-go@latest
//	go build ./...                                 # libatomicperf is linked in statically
//	go build -ldflags '-extldflags -static' ./...  # a fully static binary (Linux)
//
// There is no pkg-config, shared library or LD_LIBRARY_PATH involved: the binary runs wherever it
// is copied. On a platform the module has no library for, the build stops with an error naming
// link_unsupported.go, which says what to do; with CGO_ENABLED=0, on one naming nocgo.go.
//
// In the repository the header copy and the archives are not committed: scripts/test-go.sh
// builds libatomicperf with cargo and places both (scripts/bench-go.sh does the same with the
// release library, and scripts/dist.sh go writes the module users get). Go's build cache does not
// notice a changed header outside the package directory or a changed archive named in LDFLAGS
// (golang/go#24544): build with -a, or put their hashes into CGO_CFLAGS, as those scripts do.
//
// # Cost of a call
//
// [Counter.Inc], [Counter.Add] and every [Gauge] method make no cgo call: the boundary is crossed
// once, at creation, to learn where the metric's cells are in C memory, and from then on they
// are updated with sync/atomic, at about the cost of atomic.AddUint64 on a Go variable. Every
// other method is one cgo call (about 30 to 60 ns, against about 5 ns for sync/atomic on Go
// memory) plus two uncontended atomic adds that keep Close safe (see Lifetime). On hot paths
// prefer the batch methods [Counter.AddMany] and [Histogram.RecordMany], which cross into C once
// for a whole slice.
//
// # Lifetime
//
// A metric owns a C handle. Close releases it; a metric that becomes unreachable without Close
// releases it too, through a cleanup registered with runtime.AddCleanup. Close is idempotent and
// may run concurrently with any other method: a call already in flight finishes on the live
// handle, and the handle is freed when the last such call returns. After Close, writes (Inc, Add,
// Set, Record...) do nothing, reads return zero values (Min, Max and Mean report false), and
// methods that return an error return [ErrClosed].
//
// A [Counter] or [Gauge] is the exception: its direct writes take no part in the count of calls
// in flight, so Close only marks it closed and its C memory is freed by the cleanup, once the
// metric is unreachable (see [Counter]).
//
// # Errors
//
// Failures reported by the C library are [*Error] values carrying the status [Code] and the
// library's message; compare them with errors.Is against [ErrOutOfRange], [ErrEmpty] and the
// other sentinels. [ErrClosed] also matches the library's AP_ERR_CLOSED (an [AsyncRecorder]
// closed while a Record was in flight), and [ErrTimeout] a wait that ran out of time.
//
// # More primitives
//
// [MinMax] (running minimum and maximum), [Timer] (count, failures, total, extremes and
// quantiles of an operation's durations, with `defer t.Start().Stop()`), [RateTracker]
// (per-second rates of counters), [ThroughputWindow] (events per second and SLA violations over
// a sliding window) and [AsyncRecorder] (a bounded queue in front of any metric, applied by
// worker threads in batches) follow the same rules of lifetime and errors.
package atomicperf
