//! Metric primitives against the locks they replace, in the same run:
//! MinMax vs `Mutex<(u64, u64)>`, Timer vs a `Mutex`-guarded struct of the same fields,
//! RateTracker vs a `Mutex`-guarded previous snapshot (concurrent callers), and AsyncRecorder's
//! record cost vs recording directly.

mod common;

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use atomicperf::{AsyncConfig, AsyncRecorder, Counter, Histogram, MinMax, RateTracker, Timer};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn scattered(i: u64) -> u64 {
    i.wrapping_mul(2_654_435_761) % 1_000_003
}

fn minmax(c: &mut Criterion) {
    let mut group = c.benchmark_group("minmax_record");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let ours = MinMax::new();
        group.bench_with_input(
            BenchmarkId::new("atomicperf_cas", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| ours.record(black_box(scattered(i))))
                })
            },
        );
        let locked = Mutex::new((u64::MAX, 0u64));
        group.bench_with_input(
            BenchmarkId::new("mutex_pair", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        let v = black_box(scattered(i));
                        let mut g = locked.lock().unwrap();
                        g.0 = g.0.min(v);
                        g.1 = g.1.max(v);
                    })
                })
            },
        );
    }
    group.finish();
}

/// A mutex-guarded rule metric: the same fields as [`Timer`].
struct LockedRuleMetric {
    count: u64,
    errors: u64,
    total: u64,
    min: u64,
    max: u64,
    durations: hdrhistogram::Histogram<u64>,
}

fn timer(c: &mut Criterion) {
    let mut group = c.benchmark_group("timer_record");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let ours = Timer::new();
        group.bench_with_input(
            BenchmarkId::new("atomicperf", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        ours.record_nanos(black_box(1_000 + scattered(i)), i % 64 != 0)
                    })
                })
            },
        );
        let locked = Mutex::new(LockedRuleMetric {
            count: 0,
            errors: 0,
            total: 0,
            min: u64::MAX,
            max: 0,
            durations: hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000, 2).unwrap(),
        });
        group.bench_with_input(
            BenchmarkId::new("mutex_struct", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        let d = black_box(1_000 + scattered(i));
                        let mut m = locked.lock().unwrap();
                        m.count += 1;
                        m.errors += u64::from(i % 64 == 0);
                        m.total += d;
                        m.min = m.min.min(d);
                        m.max = m.max.max(d);
                        m.durations.record(d).unwrap();
                    })
                })
            },
        );
    }
    group.finish();
}

/// The usual design: the previous snapshot behind a mutex held for the whole computation.
struct LockedRates {
    sources: Vec<Arc<Counter>>,
    previous: Mutex<Option<(Instant, Vec<u64>)>>,
}

impl LockedRates {
    fn rates(&self) -> Vec<f64> {
        let mut prev = self.previous.lock().unwrap();
        let now = Instant::now();
        let values: Vec<u64> = self.sources.iter().map(|c| c.get()).collect();
        let rates = match &*prev {
            Some((at, old)) => {
                let secs = now.duration_since(*at).as_secs_f64().max(f64::MIN_POSITIVE);
                values
                    .iter()
                    .zip(old)
                    .map(|(v, o)| v.saturating_sub(*o) as f64 / secs)
                    .collect()
            }
            None => vec![0.0; values.len()],
        };
        *prev = Some((now, values));
        rates
    }
}

fn rate_tracker(c: &mut Criterion) {
    let sources: Vec<Arc<Counter>> = (0..4).map(|_| Arc::new(Counter::new())).collect();
    let mut group = c.benchmark_group("rate_tracker_rates");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let ours = RateTracker::new(
            ["a", "b", "c", "d"]
                .into_iter()
                .zip(sources.iter().cloned()),
        );
        group.bench_with_input(
            BenchmarkId::new("atomicperf_swap", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |_| {
                        black_box(ours.rates());
                    })
                })
            },
        );
        let locked = LockedRates {
            sources: sources.clone(),
            previous: Mutex::new(None),
        };
        group.bench_with_input(
            BenchmarkId::new("mutex_snapshot", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |_| {
                        black_box(locked.rates());
                    })
                })
            },
        );
    }
    group.finish();
}

fn async_recorder(c: &mut Criterion) {
    let mut group = c.benchmark_group("async_recorder_record");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let direct = Histogram::new();
        group.bench_with_input(
            BenchmarkId::new("direct_histogram", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| direct.record(black_box(scattered(i))))
                })
            },
        );
        let queued =
            AsyncRecorder::new(Arc::new(Histogram::new()), AsyncConfig::default()).unwrap();
        group.bench_with_input(
            BenchmarkId::new("async_histogram_drop_mode", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        black_box(queued.record(scattered(i)).unwrap());
                    })
                })
            },
        );
        let locked = Mutex::new(
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 2).unwrap(),
        );
        group.bench_with_input(
            BenchmarkId::new("direct_mutex_hdrhistogram", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        locked
                            .lock()
                            .unwrap()
                            .saturating_record(black_box(scattered(i)))
                    })
                })
            },
        );
        let queued_locked = AsyncRecorder::new(
            Arc::new(LockedHdr(Mutex::new(
                hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 2).unwrap(),
            ))),
            AsyncConfig::default(),
        )
        .unwrap();
        group.bench_with_input(
            BenchmarkId::new("async_mutex_hdrhistogram", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads(t, iters, |i| {
                        black_box(queued_locked.record(scattered(i)).unwrap());
                    })
                })
            },
        );
    }
    group.finish();
}

/// A lock-guarded metric behind the async queue: where queueing pays, the caller skips the lock.
struct LockedHdr(Mutex<hdrhistogram::Histogram<u64>>);

impl atomicperf::AsyncTarget for LockedHdr {
    type Event = u64;
    fn apply(&self, v: u64) {
        self.0.lock().unwrap().saturating_record(v);
    }
}

/// Recording with an exemplar against the plain record, one thread: a counter increment and a
/// registry histogram's record (target: at most 2x).
fn exemplars(c: &mut Criterion) {
    let registry = atomicperf::Registry::new();
    let counter = registry.counter("jobs", "", &[]).unwrap();
    let histogram = registry
        .histogram(
            "latency_seconds",
            "",
            &[],
            &atomicperf::HistogramOpts::default(),
        )
        .unwrap();
    let trace = [
        ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("span_id", "00f067aa0ba902b7"),
    ];
    let mut group = c.benchmark_group("exemplar");
    group.throughput(Throughput::Elements(1));
    group.bench_function("counter_inc", |b| b.iter(|| counter.inc()));
    group.bench_function("counter_inc_with_exemplar", |b| {
        b.iter(|| counter.inc_with_exemplar(black_box(&trace), None).unwrap())
    });
    let mut i = 0u64;
    group.bench_function("histogram_record", |b| {
        b.iter(|| {
            i += 7919;
            histogram.record(black_box(scattered(i)))
        })
    });
    group.bench_function("histogram_record_with_exemplar", |b| {
        b.iter(|| {
            i += 7919;
            histogram
                .record_with_exemplar(black_box(scattered(i)), black_box(&trace), None)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    minmax,
    timer,
    rate_tracker,
    async_recorder,
    exemplars
);
criterion_main!(benches);
