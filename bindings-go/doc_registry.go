// # Registry, shared registry, export and the benchmark suite
//
// A [Registry] holds named metrics with labels, created on first use: [DefaultRegistry] is the
// process-wide registry that every goroutine and every language binding in the process shares,
// [NamedRegistry] a process-wide registry of its own name, [NewRegistry] a private one.
// [Registry.Counter], [Registry.Gauge], [Registry.Histogram], [Registry.Timer] and
// [Registry.MinMax] return the ordinary metric types (a registry's Counter and Gauge write their
// cells directly, like [NewCounter]'s); another kind or label set under a taken name matches
// [ErrInvalidArgument]. [Registry.Export] writes Prometheus text, OpenMetrics text or JSON,
// [Registry.Handler] serves the Prometheus text on a /metrics route, and [NewCollector] reports
// the registry to client_golang's registry as a prometheus.Collector.
//
// # Shared registry: one set of metrics for many processes
//
// A [SharedRegistry] keeps its metrics in one shared-memory segment, a file that processes
// open by name ([OpenSharedRegistry]; /dev/shm/atomicperf-<name> by default, or a path), in Go
// or in any other language of the library: the workers of a pre-fork server, or a program and
// its helpers, record into the same series, and any of them, or a process that only serves
// /metrics, exports the totals. Its API is the Registry's ([SharedRegistry.Counter],
// [SharedRegistry.Gauge] with a [GaugeMode], [SharedRegistry.Histogram], [SharedRegistry.Timer],
// [SharedRegistry.Export], [SharedRegistry.Handler], [NewSharedCollector]), and it returns the
// same [*Counter], [*Gauge], [*Histogram] and [*Timer] types, whose direct writes (no cgo call)
// land in the segment: recording costs what it costs in process. Counters, histograms and
// timers add up across processes; a gauge keeps one value per process, combined at export by
// its mode (sum, max, min, one series per pid, the most recent; the live modes drop a dead
// process's value by themselves, SIGKILL included). [SharedOptions] size a new segment;
// [SharedRegistry.Unlink] and [RemoveSharedRegistry] remove the file. The program in
// cmd/shared-count increments a counter of a named segment from the command line.
//
// [Bench] runs the library's benchmark suite (every primitive against the lock it replaces, on
// Rust threads) and returns its report; [BenchJSON] returns the same report as JSON.
package atomicperf
