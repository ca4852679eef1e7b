//! A registry whose series are created, updated and removed without end (per-request or
//! per-tenant labels, never repeated) keeps its resident memory flat: removal gives the memory
//! back. Alone in its test binary, so that no other test's allocations move the figure.
#![cfg(target_os = "linux")]

use atomicperf::{HistogramOpts, Registry};

/// Resident set size of this process, in bytes (from /proc/self/statm).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn a_million_create_update_remove_cycles_keep_resident_memory_flat() {
    const CYCLES: u64 = 1_000_000;
    const WARM_UP: u64 = 100_000;
    let r = Registry::new();
    let opts = HistogramOpts::default();
    // Some series that stay, so that the tables are not empty.
    for i in 0..100 {
        r.counter("kept", "", &[("id", &i.to_string())])
            .unwrap()
            .inc();
    }
    let mut after_warm_up = 0;
    let mut peak = 0;
    for i in 0..CYCLES {
        let id = format!("tenant-{i}");
        let labels = [("tenant", id.as_str())];
        r.counter("requests", "Requests.", &labels).unwrap().add(i);
        if i % 10 == 0 {
            r.histogram("latency", "Latency.", &labels, &opts)
                .unwrap()
                .record(i);
            assert!(r.remove("latency", &labels).unwrap());
        }
        assert!(r.remove("requests", &labels).unwrap());
        if i + 1 == WARM_UP {
            after_warm_up = rss();
        } else if i > WARM_UP && i % 50_000 == 0 {
            peak = peak.max(rss());
        }
    }
    peak = peak.max(rss());
    eprintln!(
        "resident after {WARM_UP} cycles: {} KiB; peak up to {CYCLES}: {} KiB ({:+.1}%)",
        after_warm_up / 1024,
        peak / 1024,
        (peak as f64 / after_warm_up as f64 - 1.0) * 100.0
    );
    assert_eq!(r.series_count(), 100);
    assert!(
        peak as f64 <= after_warm_up as f64 * 1.10,
        "resident memory grew from {after_warm_up} to {peak} bytes over {CYCLES} cycles"
    );
}
