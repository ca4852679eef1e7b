//! Process metrics and collected families.

use std::io::Write;
use std::sync::Arc;

use super::*;

/// The value of the sample line `series` (name and labels) in a text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

fn status_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<f64>()
        .unwrap()
        * 1024.0
}

const NAMES: [&str; 6] = [
    "process_cpu_seconds_total",
    "process_max_fds",
    "process_open_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_virtual_memory_bytes",
];

#[test]
fn collected_counter_is_set_and_exported_as_a_float_counter() {
    let r = Registry::new();
    let c = r
        .collected_counter("gc_runs_total", "Runs.", &[("generation", "0")])
        .unwrap();
    c.set(2.5);
    let again = r
        .collected_counter("gc_runs_total", "Runs.", &[("generation", "0")])
        .unwrap();
    assert!(Arc::ptr_eq(&c, &again));
    let text = r.export_prometheus();
    assert!(text.contains("# TYPE gc_runs_total counter\n"), "{text}");
    assert!(
        text.contains("gc_runs_total{generation=\"0\"} 2.5\n"),
        "{text}"
    );
    let om = r.export_openmetrics();
    assert!(om.contains("# TYPE gc_runs counter\n"), "{om}");
    assert!(om.contains("gc_runs_total{generation=\"0\"} 2.5\n"), "{om}");
    let json = r.export_json();
    assert!(json.contains("\"kind\":\"counter\""), "{json}");
    assert!(json.contains("\"value\":2.5"), "{json}");
    // The protobuf message holds the float as a counter value.
    let pb = r.export_protobuf();
    assert!(!pb.is_empty());
    assert!(pb.windows(8).any(|w| w == 2.5f64.to_le_bytes()));
    // Neither a counter nor a gauge of that name, and the other way round.
    let e = r
        .counter("gc_runs_total", "", &[("generation", "0")])
        .unwrap_err();
    assert!(e.to_string().contains("collected counter"), "{e}");
    assert!(r
        .gauge("gc_runs_total", "", &[("generation", "0")])
        .is_err());
    r.counter("jobs", "", &[]).unwrap();
    r.gauge("temp", "", &[]).unwrap();
    assert!(r.collected_counter("jobs", "", &[]).is_err());
    assert!(r.collected_gauge("temp", "", &[]).is_err());
    // Its exported names are taken as a counter's.
    assert!(r.gauge("gc_runs", "", &[]).is_err());
    assert!(r.gauge("gc_runs_created", "", &[]).is_err());
    let g = r.collected_gauge("heap_bytes", "Heap.", &[]).unwrap();
    g.set(1024.0);
    assert!(r
        .export_prometheus()
        .contains("# TYPE heap_bytes gauge\nheap_bytes 1024\n"));
}

#[cfg(target_os = "linux")]
#[test]
fn process_stats_are_sane() {
    let s = ProcessStats::read().unwrap();
    let rss = status_kb("VmRSS:");
    let ratio = s.resident_memory_bytes as f64 / rss;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "rss {} vs VmRSS {rss}",
        s.resident_memory_bytes
    );
    let vm = status_kb("VmSize:");
    let ratio = s.virtual_memory_bytes as f64 / vm;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "vsize {} vs VmSize {vm}",
        s.virtual_memory_bytes
    );
    assert!(s.virtual_memory_bytes >= s.resident_memory_bytes);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // Started before now, and within the last day (a test binary is young).
    assert!(
        s.start_time_seconds <= now + 1.0,
        "{} > {now}",
        s.start_time_seconds
    );
    assert!(
        s.start_time_seconds > now - 86_400.0,
        "{}",
        s.start_time_seconds
    );
    assert!(s.open_fds >= 3);
    assert!(s.max_fds >= s.open_fds as f64);
    assert!(s.cpu_seconds >= 0.0);
}

#[cfg(target_os = "linux")]
#[test]
fn cpu_seconds_grow_after_burning_cpu() {
    let before = ProcessStats::read().unwrap().cpu_seconds;
    // Burn until the clock-tick resolution (10 ms at 100 Hz) shows at least 50 ms more.
    let mut x = 0u64;
    let mut after = before;
    for _ in 0..10_000 {
        for i in 0..100_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
        after = ProcessStats::read().unwrap().cpu_seconds;
        if after >= before + 0.05 {
            break;
        }
    }
    assert!(after >= before + 0.05, "cpu seconds {before} -> {after}");
}

#[cfg(target_os = "linux")]
#[test]
fn open_fds_count_a_newly_opened_file() {
    // Other tests open files concurrently: hold many and compare with a margin.
    let before = ProcessStats::read().unwrap().open_fds;
    let dir = std::env::temp_dir();
    let files: Vec<std::fs::File> = (0..64)
        .map(|i| {
            let path = dir.join(format!("atomicperf-fds-{}-{i}", std::process::id()));
            let mut f = std::fs::File::create(&path).unwrap();
            f.write_all(b"x").unwrap();
            std::fs::remove_file(&path).unwrap();
            f
        })
        .collect();
    let during = ProcessStats::read().unwrap().open_fds;
    assert!(
        during >= before + 32,
        "open fds {before} -> {during} with 64 more files"
    );
    drop(files);
    let after = ProcessStats::read().unwrap().open_fds;
    assert!(
        after + 32 <= during,
        "open fds {during} -> {after} after closing 64 files"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn process_metrics_are_in_every_export_sorted_and_read_at_export_time() {
    let r = Registry::new();
    r.counter("aaa_requests", "A.", &[]).unwrap().inc();
    r.gauge("zzz_temp", "Z.", &[]).unwrap().set(1.0);
    r.register_process_metrics().unwrap();
    r.register_process_metrics().unwrap(); // idempotent
    assert_eq!(r.len(), 8);
    let text = r.export_prometheus();
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut want = vec!["aaa_requests_total"];
    want.extend(NAMES);
    want.push("zzz_temp");
    assert_eq!(families, want);
    for (name, kind, help) in [
        (
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
        ),
        (
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
        ),
        (
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
        ),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        ),
        (
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
        ),
        (
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
        ),
    ] {
        assert!(
            text.contains(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n")),
            "{text}"
        );
    }
    let rss = sample(&text, "process_resident_memory_bytes").unwrap();
    let vm_rss = status_kb("VmRSS:");
    assert!(
        (0.5..=2.0).contains(&(rss / vm_rss)),
        "{rss} vs VmRSS {vm_rss}"
    );
    // Read at export time: opening files shows in the next export.
    let fds = sample(&text, "process_open_fds").unwrap();
    let files: Vec<std::fs::File> = (0..64)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    let later = sample(&r.export_prometheus(), "process_open_fds").unwrap();
    assert!(later >= fds + 32.0, "{fds} -> {later}");
    drop(files);
    // OpenMetrics, JSON, protobuf.
    let om = r.export_openmetrics();
    assert!(om.contains("# TYPE process_cpu_seconds counter\n"), "{om}");
    assert!(om.contains("\nprocess_cpu_seconds_total "), "{om}");
    assert!(om.contains("# TYPE process_open_fds gauge\n"), "{om}");
    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    let names: Vec<&str> = json["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let mut want = vec!["aaa_requests"];
    want.extend(NAMES);
    want.push("zzz_temp");
    assert_eq!(names, want);
    let pb = r.export_protobuf();
    for name in NAMES {
        assert!(
            pb.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} not in protobuf"
        );
    }
    // Series removed by clear come back at the next export.
    r.clear();
    assert!(r.export_prometheus().contains("\nprocess_open_fds "));
}

#[cfg(target_os = "linux")]
#[test]
fn process_names_collide_both_ways() {
    // The registry's own family first: refused, nothing registered.
    type Make = fn(&Registry) -> Result<(), Error>;
    let cases: [(Make, &str); 3] = [
        (
            |r| r.gauge("process_open_fds", "", &[]).map(drop),
            "process_open_fds",
        ),
        // Exports process_cpu_seconds_total.
        (
            |r| r.counter("process_cpu_seconds", "", &[]).map(drop),
            "process_cpu_seconds_total",
        ),
        (
            |r| r.counter("process_cpu_seconds_total", "", &[]).map(drop),
            "process_cpu_seconds",
        ),
    ];
    for (make, taken) in cases {
        let r = Registry::new();
        make(&r).unwrap();
        let e = r.register_process_metrics().unwrap_err();
        assert!(e.to_string().contains(taken), "{e}");
        assert_eq!(r.len(), 1, "nothing registered after a refusal");
        assert!(!r.export_prometheus().contains("process_max_fds"));
    }
    // Process metrics first: the registry's own family of a colliding name is refused.
    let r = Registry::new();
    r.register_process_metrics().unwrap();
    assert!(r.gauge("process_open_fds", "", &[]).is_err());
    assert!(r.counter("process_cpu_seconds", "", &[]).is_err());
    assert!(r.counter("process_cpu_seconds_total", "", &[]).is_err());
    assert!(r.gauge("process_cpu_seconds", "", &[]).is_err());
    assert!(r
        .histogram("process_max_fds", "", &[], &HistogramOpts::default())
        .is_err());
    assert!(r.gauge("process_open_fds", "", &[("a", "b")]).is_err());
    assert!(r.gauge("process_other", "", &[]).is_ok());
    assert_eq!(r.len(), 7);
}
