//! Multi-threaded timing for Criterion's `iter_custom`: every thread runs `iters` operations and
//! the wall time from a common start to the last thread's end is returned, so Criterion's
//! throughput (with `Throughput::Elements(threads)`) is total operations per second.

use std::sync::Barrier;
use std::time::{Duration, Instant};

#[allow(dead_code)] // not every bench file uses both forms
pub fn run_threads(threads: usize, iters: u64, op: impl Fn(u64) + Sync) -> Duration {
    run_threads_indexed(threads, iters, |_, i| op(i))
}

/// As [`run_threads`], with the thread's index (0..threads) passed to `op`.
#[allow(dead_code)]
pub fn run_threads_indexed(threads: usize, iters: u64, op: impl Fn(u64, u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || {
                    barrier.wait();
                    // Each thread times itself from the common release: a start taken by another
                    // thread could come after a short run had already ended.
                    let start = Instant::now();
                    for i in 0..iters {
                        op(t, i);
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        let spans: Vec<(Instant, Instant)> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let start = spans.iter().map(|s| s.0).min().unwrap();
        let end = spans.iter().map(|s| s.1).max().unwrap();
        (end - start).max(Duration::from_nanos(1))
    })
}
