//! Histogram recording: atomicperf's lock-free Histogram against the hdrhistogram crate alone
//! (single-threaded, no synchronisation at all) and behind a `Mutex` at 2 threads, and
//! atomicperf's NativeHistogram (Prometheus native buckets) beside them.
//! All record the same pseudo-random latencies (a fixed xorshift stream, 1 µs to ~1 s); the
//! native histogram records them as durations (`record_nanos`, in seconds) and as `f64` seconds.
//! A Summary (a ring of these histograms over a sliding window, and a coarse clock read per
//! record) records the same values beside the Histogram: its record should cost
//! at most twice the Histogram's.

mod common;

use std::hint::black_box;
use std::sync::Mutex;

use atomicperf::{Histogram, NativeHistogram, Summary};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn latencies() -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1_000 + (x % 1_000) * 10u64.pow((x >> 32) as u32 % 7)
        })
        .collect()
}

fn hdr() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000, 2).unwrap()
}

fn single_thread(c: &mut Criterion) {
    let values = latencies();
    let mut group = c.benchmark_group("histogram_record_1_thread");
    group.throughput(Throughput::Elements(1));
    let ours = Histogram::new();
    group.bench_function("atomicperf", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            ours.record(black_box(values[i]));
        })
    });
    let summary = Summary::new();
    group.bench_function("summary", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            summary.record(black_box(values[i]));
        })
    });
    let native = NativeHistogram::new();
    group.bench_function("native_nanos", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            native.record_nanos(black_box(values[i]));
        })
    });
    let seconds: Vec<f64> = values.iter().map(|&v| v as f64 / 1e9).collect();
    group.bench_function("native_f64", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            native.record(black_box(seconds[i]));
        })
    });
    let mut theirs = hdr();
    group.bench_function("hdrhistogram", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & 4095;
            theirs.record(black_box(values[i])).unwrap();
        })
    });
    group.finish();
}

/// Each thread walks the value stream from its own offset: threads of a service record different
/// latencies, not the same one in lockstep (which would make them fight over one bucket).
fn at(thread: u64, i: u64) -> usize {
    ((i + thread * 1021) & 4095) as usize
}

fn two_threads(c: &mut Criterion) {
    let values = latencies();
    let mut group = c.benchmark_group("histogram_record_2_threads");
    group.throughput(Throughput::Elements(2));
    let ours = Histogram::new();
    group.bench_with_input(BenchmarkId::new("atomicperf", 2), &2, |b, &t| {
        b.iter_custom(|iters| {
            common::run_threads_indexed(t, iters, |thread, i| {
                ours.record(black_box(values[at(thread, i)]))
            })
        })
    });
    let summary = Summary::new();
    group.bench_with_input(BenchmarkId::new("summary", 2), &2, |b, &t| {
        b.iter_custom(|iters| {
            common::run_threads_indexed(t, iters, |thread, i| {
                summary.record(black_box(values[at(thread, i)]))
            })
        })
    });
    let native = NativeHistogram::new();
    group.bench_with_input(BenchmarkId::new("native_nanos", 2), &2, |b, &t| {
        b.iter_custom(|iters| {
            common::run_threads_indexed(t, iters, |thread, i| {
                native.record_nanos(black_box(values[at(thread, i)]))
            })
        })
    });
    let locked = Mutex::new(hdr());
    group.bench_with_input(BenchmarkId::new("mutex_hdrhistogram", 2), &2, |b, &t| {
        b.iter_custom(|iters| {
            common::run_threads_indexed(t, iters, |thread, i| {
                locked
                    .lock()
                    .unwrap()
                    .record(black_box(values[at(thread, i)]))
                    .unwrap()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, single_thread, two_threads);
criterion_main!(benches);
