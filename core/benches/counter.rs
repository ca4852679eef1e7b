//! Counter increments: atomicperf's striped Counter against the designs it replaces, a
//! `Mutex<u64>` and one shared `AtomicU64`, at 1 and 2 threads in the same run.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use atomicperf::Counter;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn counters(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_inc");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let striped = Counter::new();
        group.bench_with_input(
            BenchmarkId::new("atomicperf_striped", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| common::run_threads(t, iters, |_| black_box(&striped).inc()))
            },
        );
        let mutex = Mutex::new(0u64);
        group.bench_with_input(BenchmarkId::new("mutex_u64", threads), &threads, |b, &t| {
            b.iter_custom(|iters| {
                common::run_threads(t, iters, |_| *black_box(&mutex).lock().unwrap() += 1)
            })
        });
        let atomic = AtomicU64::new(0);
        group.bench_with_input(
            BenchmarkId::new("single_atomic_u64", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |_| {
                        black_box(&atomic).fetch_add(1, Ordering::Relaxed);
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, counters);
criterion_main!(benches);
