//! Soak: every primitive from several threads for a bounded time, resident memory sampled.
//!
//!     cargo run --release -p atomicperf --example soak -- [seconds]   (default 12)
//!
//! Passes when resident memory is flat after warm-up (growth from the first sample after the
//! first quarter of the run to the end under 10% + 8 MiB) and every total is exact at the end
//! (counter and histogram counts, ledger total conserved, map and once-map sizes as expected,
//! every async event applied). Exits 1 otherwise. The workload's state is bounded (keys, series
//! and accounts cycle over fixed sets), so any growth is a leak.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use atomicperf::{
    AsyncConfig, AsyncRecorder, CancellationToken, Counter, Gauge, Histogram, Ledger, MinMax,
    OnceMap, Overflow, RateTracker, Registry, ShardedMap, SnapshotCell, ThroughputWindow, Timer,
};

const THREADS: u64 = 4;
const KEYS: u64 = 256;
const ACCOUNTS: u64 = 16;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(12.0);
    let duration = Duration::from_secs_f64(secs);
    let counter = Arc::new(Counter::new());
    let gauge = Gauge::new();
    let hist = Arc::new(Histogram::new());
    let minmax = MinMax::new();
    let timer = Timer::new();
    let rates = RateTracker::new([("ops", counter.clone())]);
    let window =
        ThroughputWindow::new(Duration::from_secs(10), 10, Duration::from_millis(1)).unwrap();
    let async_hist = Arc::new(Histogram::new());
    let cfg = AsyncConfig {
        capacity: 4096,
        workers: 2,
        batch: 256,
        overflow: Overflow::Block,
    };
    let recorder = AsyncRecorder::new(async_hist.clone(), cfg).unwrap();
    let map: ShardedMap<u64, u64> = ShardedMap::new();
    let ledger = Ledger::new();
    for id in 0..ACCOUNTS {
        ledger.open(id, false).unwrap();
        ledger.deposit(id, 1_000_000).unwrap();
    }
    let cell = SnapshotCell::new(vec![0u8; 64]);
    let once: OnceMap<u64, u64> = OnceMap::new();
    let root = CancellationToken::new();
    let registry = Registry::new();
    let stop = AtomicBool::new(false);

    let start = Instant::now();
    let (mut baseline, mut last, mut peak) = (0u64, 0u64, 0u64);
    let ops: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (counter, gauge, hist, minmax, timer) =
                    (&counter, &gauge, &hist, &minmax, &timer);
                let (rates, window, recorder, map, ledger) =
                    (&rates, &window, &recorder, &map, &ledger);
                let (cell, once, root, registry, stop) = (&cell, &once, &root, &registry, &stop);
                s.spawn(move || {
                    let mut i = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        counter.inc();
                        gauge.add(1.0);
                        gauge.sub(1.0);
                        hist.record(i % 1_000_000);
                        minmax.record(i);
                        timer.record_nanos(i % 10_000, i % 7 != 0);
                        window.record(Duration::from_nanos(i % 2_000_000));
                        recorder.record(i % 1000).unwrap();
                        let key = t * KEYS + i % KEYS;
                        map.insert(key, i);
                        if i % 3 == 0 {
                            map.remove(&key);
                        }
                        ledger
                            .transfer(i % ACCOUNTS, (i + 1 + t) % ACCOUNTS, 1)
                            .ok();
                        if i % 64 == 0 {
                            cell.store(vec![(i % 256) as u8; 64]);
                            rates.rates();
                            once.remove(&(key % 64));
                        }
                        let _ = cell.load();
                        once.get_or_init(key % 64, || Ok::<_, ()>(key)).unwrap();
                        let child = root.child();
                        let grandchild = child.child();
                        drop(child);
                        drop(grandchild);
                        let code = (i % 8).to_string();
                        registry
                            .counter("soak_ops", "", &[("code", &code)])
                            .unwrap()
                            .inc();
                        if i % 4096 == 0 {
                            registry.export_prometheus();
                        }
                    }
                    // Leave every key present: the final map size is then exact.
                    for k in 0..KEYS {
                        map.insert(t * KEYS + k, 0);
                    }
                    i
                })
            })
            .collect();
        while start.elapsed() < duration {
            std::thread::sleep(Duration::from_millis(250));
            let rss = rss_kib();
            if baseline == 0 && start.elapsed() >= duration / 4 {
                baseline = rss;
            }
            last = rss;
            peak = peak.max(rss);
        }
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total: u64 = ops.iter().sum();
    assert!(recorder.flush(Duration::from_secs(60)));
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    check(
        counter.get() == total,
        format!("counter {} != ops {total}", counter.get()),
    );
    check(
        hist.count() == total,
        format!("histogram count {} != {total}", hist.count()),
    );
    check(
        timer.count() == total,
        format!("timer count {} != {total}", timer.count()),
    );
    check(
        async_hist.count() == total,
        format!("async applied {} != {total}", async_hist.count()),
    );
    check(gauge.get() == 0.0, format!("gauge {} != 0", gauge.get()));
    check(
        ledger.total() == (ACCOUNTS * 1_000_000) as i128,
        format!("ledger total {}", ledger.total()),
    );
    check(
        map.len() == (THREADS * KEYS) as usize,
        format!("map len {}", map.len()),
    );
    check(
        once.len() <= 64,
        format!("once-map len {} > 64", once.len()),
    );
    let series: u64 = (0..8)
        .map(|c| {
            registry
                .counter("soak_ops", "", &[("code", &c.to_string())])
                .unwrap()
                .get()
        })
        .sum();
    check(
        series == total,
        format!("registry series sum {series} != {total}"),
    );
    check(
        minmax.min() == Some(1),
        format!("minmax min {:?}", minmax.min()),
    );
    let bound = baseline + baseline / 10 + 8 * 1024;
    check(
        last <= bound,
        format!("RSS grew: {baseline} KiB after warm-up -> {last} KiB (bound {bound})"),
    );
    println!(
        "soak rust: {secs} s, {THREADS} threads, {total} rounds of every primitive; RSS after warm-up {} MiB, end {} MiB, peak {} MiB (bound {} MiB); counter={} histogram={} ledger total={} map={} once={}",
        baseline / 1024, last / 1024, peak / 1024, bound / 1024, counter.get(), hist.count(), ledger.total(), map.len(), once.len()
    );
    if !failures.is_empty() {
        eprintln!("soak rust FAILED:\n  {}", failures.join("\n  "));
        std::process::exit(1);
    }
}
