//! Prints a Prometheus (or, with `--openmetrics`, OpenMetrics; with `--json`, JSON) exposition
//! holding every metric kind, labels that need escaping included, exemplars (OpenMetrics only),
//! and the process metrics: what the test command feeds to `promtool check metrics`.
//!
//! cargo run -p atomicperf --example exposition [-- --openmetrics | --json]

use atomicperf::{HistogramOpts, NativeOpts, Registry, SummaryOpts};

fn main() {
    let r = Registry::new();
    let ok = r
        .counter(
            "http_requests",
            "HTTP requests served.",
            &[("code", "200"), ("path", "/api/\"v1\"\\x")],
        )
        .unwrap();
    ok.add(1026);
    ok.inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6")], Some(1_700_000_000.5))
        .unwrap();
    r.counter(
        "http_requests",
        "HTTP requests served.",
        &[("code", "500"), ("path", "/api")],
    )
    .unwrap()
    .add(3);
    r.gauge("in_flight_requests", "Requests being served.", &[])
        .unwrap()
        .set(7.0);
    let latency = r
        .histogram(
            "http_request_duration_seconds",
            "Request latency.",
            &[("path", "/api")],
            &HistogramOpts::default(),
        )
        .unwrap();
    for i in 1..=1000u64 {
        latency.record(i * 37_000);
    }
    latency
        .record_with_exemplar(
            43_000_000,
            &[("trace_id", "00f067aa0ba902b7"), ("span_id", "b7ad6b71")],
            None,
        )
        .unwrap();
    let sizes = r
        .histogram(
            "response_size_bytes",
            "Response sizes.",
            &[],
            &HistogramOpts::plain(vec![100.0, 1000.0, 10_000.0]),
        )
        .unwrap();
    sizes.record_n(512, 10);
    let rule = r
        .timer(
            "rule_duration_seconds",
            "Rule execution time.",
            &[("rule", "fraud\ncheck")],
        )
        .unwrap();
    rule.record_nanos(250_000, true);
    rule.record_nanos(9_000_000, false);
    r.minmax("queue_depth", "Queue depth extremes.", &[("queue", "mail")])
        .unwrap()
        .record(12);
    let native = r
        .native_histogram(
            "rpc_duration_seconds",
            "RPC latency (a native histogram; classic buckets in the text formats).",
            &[("method", "get")],
            &NativeOpts {
                classic_buckets: vec![0.25, 1.0],
                ..NativeOpts::default()
            },
        )
        .unwrap();
    for v in [0.1, 0.3, 2.0] {
        native.record(v);
    }
    r.info("build", "Build facts.", &[("service", "api")])
        .unwrap()
        .set(&[("version", "1.4.2"), ("commit", "9b339de")])
        .unwrap();
    r.enumeration(
        "task_state",
        "Task state.",
        &[("task", "mail")],
        &["starting", "running", "stopped"],
    )
    .unwrap()
    .set("running")
    .unwrap();
    let rpc = r
        .summary(
            "rpc_latency_seconds",
            "RPC latency quantiles over the last 10 minutes.",
            &[("method", "get")],
            &SummaryOpts::default(),
        )
        .unwrap();
    for i in 1..=200u64 {
        rpc.record(i * 500_000);
    }
    // An empty window: its quantiles are NaN, as client_golang exports them.
    r.summary(
        "idle_latency_seconds",
        "Latency of a path nothing took lately.",
        &[],
        &SummaryOpts::default(),
    )
    .unwrap();
    // The process metrics every client exports (Linux only), read at export time.
    #[cfg(target_os = "linux")]
    r.register_process_metrics().unwrap();
    let out = match std::env::args().nth(1).as_deref() {
        Some("--openmetrics") => r.export_openmetrics(),
        Some("--json") => r.export_json(),
        _ => r.export_prometheus(),
    };
    print!("{out}");
}
