// # Registry, export and the benchmark suite
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
// [Bench] runs the library's benchmark suite (every primitive against the lock it replaces, on
// Rust threads) and returns its report; [BenchJSON] returns the same report as JSON.
package atomicperf
