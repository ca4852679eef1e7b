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
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..iters {
                        op(t, i);
                    }
                    Instant::now()
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let end = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap();
        end - start
    })
}
