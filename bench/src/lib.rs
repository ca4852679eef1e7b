//! # atomicperf-bench
//!
//! The benchmark suite of [`atomicperf`]: every primitive against the designs it replaces, in one
//! run, over a set of thread counts, a fixed time per cell. What `atomicperf bench`,
//! `ap_bench_run` and every binding's `bench.run` execute; the workloads run on Rust threads
//! whichever language asked.
//!
//! A crate of its own, written against `atomicperf`'s public API only, so that the core crate
//! (and every build that uses it) carries neither the harness nor its baselines' dependencies.
//!
//! ```
//! use std::time::Duration;
//! use atomicperf_bench::{run, BenchConfig};
//!
//! let config = BenchConfig { threads: vec![1], duration: Duration::from_millis(20), filter: vec!["counter".into()] };
//! let report = run(&config, |_| {}).unwrap();
//! assert_eq!(report.cells.len(), 3); // striped, one atomic, Mutex
//! assert!(report.cells.iter().all(|c| c.ops > 0));
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod report;
mod published;
mod workloads;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

pub use published::{Published, PUBLISHED};
pub use report::{Cell, Report};

use atomicperf::{Error, Histogram};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Thread counts; every workload runs at each.
    pub threads: Vec<usize>,
    /// Time per cell (one design of one workload at one thread count).
    pub duration: Duration,
    /// Workload names to run (substring match); empty runs all.
    pub filter: Vec<String>,
}

impl Default for BenchConfig {
    /// Threads 1, 2 and 4, 1.5 s per cell: the 75 cells of the full suite take about two
    /// minutes.
    fn default() -> Self {
        BenchConfig {
            threads: vec![1, 2, 4],
            duration: Duration::from_millis(1500),
            filter: Vec::new(),
        }
    }
}

/// Progress of a run, passed to the caller's callback before each cell.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Cells done so far.
    pub done: usize,
    /// Cells in the run.
    pub total: usize,
    /// Workload of the next cell.
    pub workload: &'a str,
    /// Design of the next cell.
    pub design: &'a str,
    /// Threads of the next cell.
    pub threads: usize,
}

/// Names of every workload, in report order.
pub fn workload_names() -> Vec<&'static str> {
    workloads::all().iter().map(|w| w.name).collect()
}

/// Runs the suite. `progress` is called before each cell.
///
/// # Errors
/// [`Error::InvalidConfig`] for no thread counts, a zero or above-256 thread count, a zero
/// duration, or a filter that matches no workload.
pub fn run(config: &BenchConfig, mut progress: impl FnMut(Progress<'_>)) -> Result<Report, Error> {
    if config.threads.is_empty() || config.threads.iter().any(|&t| t == 0 || t > 256) {
        return Err(Error::InvalidConfig(format!(
            "thread counts must be 1 to 256, got {:?}",
            config.threads
        )));
    }
    if config.duration.is_zero() {
        return Err(Error::InvalidConfig(
            "the duration per cell must be above zero".into(),
        ));
    }
    let workloads: Vec<_> = workloads::all()
        .into_iter()
        .filter(|w| {
            config.filter.is_empty() || config.filter.iter().any(|f| w.name.contains(f.as_str()))
        })
        .collect();
    if workloads.is_empty() {
        return Err(Error::InvalidConfig(format!(
            "filter {:?} matches no workload; workloads are {:?}",
            config.filter,
            workload_names()
        )));
    }
    let total = workloads.iter().map(|w| w.designs.len()).sum::<usize>() * config.threads.len();
    let mut cells = Vec::with_capacity(total);
    let started = Instant::now();
    for w in &workloads {
        for &threads in &config.threads {
            let first = cells.len();
            for d in &w.designs {
                progress(Progress {
                    done: cells.len(),
                    total,
                    workload: w.name,
                    design: d.name,
                    threads,
                });
                let (op, tick) = (d.make)();
                let m = measure(op, tick, threads, config.duration);
                cells.push(Cell {
                    workload: w.name.to_string(),
                    description: w.description.to_string(),
                    design: d.name.to_string(),
                    baseline: d.baseline,
                    threads,
                    ops: m.ops,
                    seconds: m.elapsed.as_secs_f64(),
                    ops_per_sec: m.ops as f64 / m.elapsed.as_secs_f64(),
                    ns_per_op: m.elapsed.as_nanos() as f64 * threads as f64 / m.ops.max(1) as f64,
                    p50_ns: m.p50,
                    p99_ns: m.p99,
                    speedup: 1.0,
                });
            }
            let base = cells[first..]
                .iter()
                .find(|c| c.baseline)
                .map(|c| c.ops_per_sec);
            for c in &mut cells[first..] {
                c.speedup = base.map_or(1.0, |b| c.ops_per_sec / b);
            }
        }
    }
    Ok(Report::new(config, cells, started.elapsed()))
}

struct Measured {
    ops: u64,
    elapsed: Duration,
    p50: u64,
    p99: u64,
}

/// Operations between latency samples: timing every call would measure the clock instead.
const SAMPLE_EVERY: u64 = 128;

fn measure(
    op: workloads::Op,
    tick: Option<workloads::Tick>,
    threads: usize,
    duration: Duration,
) -> Measured {
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Histogram::with_precision(2, 10_000_000_000).expect("valid layout"));
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (op, stop, latencies, start) =
                (op.clone(), stop.clone(), latencies.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut i = 0u64;
                // One batch at least, checked after: a thread the scheduler starts only after
                // the stop (a loaded machine, a short cell) still measures something, and the
                // elapsed time, taken after every thread is joined, includes its batch.
                loop {
                    let t0 = Instant::now();
                    op(t, i);
                    latencies.record(t0.elapsed().as_nanos() as u64);
                    i += 1;
                    for _ in 1..SAMPLE_EVERY {
                        op(t, i);
                        i += 1;
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                i
            })
        })
        .collect();
    let refresher = tick.map(|tick| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                tick();
                std::thread::sleep(Duration::from_micros(50));
            }
        })
    });
    start.wait();
    let began = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let ops = workers
        .into_iter()
        .map(|w| w.join().expect("workload thread"))
        .sum();
    let elapsed = began.elapsed();
    if let Some(r) = refresher {
        r.join().expect("refresher thread");
    }
    let q = |q| latencies.quantile(q).ok().flatten().unwrap_or(0);
    Measured {
        ops,
        elapsed,
        p50: q(0.5),
        p99: q(0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(filter: &str) -> BenchConfig {
        BenchConfig {
            threads: vec![1, 2],
            duration: Duration::from_millis(5),
            filter: vec![filter.into()],
        }
    }

    #[test]
    fn every_cell_of_every_workload_is_present_with_ops() {
        let config = BenchConfig {
            threads: vec![1, 2],
            duration: Duration::from_millis(5),
            filter: vec![],
        };
        let mut calls = 0;
        let report = run(&config, |p| {
            assert!(p.done < p.total);
            calls += 1;
        })
        .unwrap();
        let designs: usize = workloads::all().iter().map(|w| w.designs.len()).sum();
        assert_eq!(report.cells.len(), designs * 2);
        assert_eq!(calls, report.cells.len());
        for c in &report.cells {
            assert!(
                c.ops > 0 && c.ops_per_sec > 0.0 && c.ns_per_op > 0.0,
                "{c:?}"
            );
            assert!(c.p50_ns <= c.p99_ns, "{c:?}");
        }
        for w in workload_names() {
            for t in [1, 2] {
                let group: Vec<_> = report
                    .cells
                    .iter()
                    .filter(|c| c.workload == w && c.threads == t)
                    .collect();
                assert_eq!(
                    group.iter().filter(|c| c.baseline).count(),
                    1,
                    "{w}: one baseline"
                );
                assert_eq!(group.iter().find(|c| c.baseline).unwrap().speedup, 1.0);
            }
        }
    }

    #[test]
    fn bad_configuration_is_an_error() {
        let mut c = tiny("counter");
        c.threads = vec![];
        assert!(run(&c, |_| {}).is_err());
        c.threads = vec![0];
        assert!(run(&c, |_| {}).is_err());
        let mut c = tiny("counter");
        c.duration = Duration::ZERO;
        assert!(run(&c, |_| {}).is_err());
        assert!(run(&tiny("no-such-workload"), |_| {}).is_err());
    }

    #[test]
    fn filter_selects_workloads_by_substring() {
        let report = run(&tiny("map_"), |_| {}).unwrap();
        assert!(report.cells.iter().all(|c| c.workload.starts_with("map_")));
        assert_eq!(report.cells.len(), 2 * 3 * 2);
    }
}
