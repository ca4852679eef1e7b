//! Multi-threaded timing for Criterion's `iter_custom`: every thread runs `iters` operations and
//! the wall time from a common start to the last thread's end is returned, so Criterion's
//! throughput (with `Throughput::Elements(threads)`) is total operations per second.

use std::sync::Barrier;
use std::time::{Duration, Instant};

pub fn run_threads(threads: usize, iters: u64, op: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    for i in 0..iters {
                        op(i);
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
