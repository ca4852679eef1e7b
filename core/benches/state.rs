//! Concurrent state against the locks it replaces, in the same run: ShardedMap vs
//! `RwLock<HashMap>`, `Mutex<HashMap>` and dashmap (read-heavy and mixed); SnapshotCell loads
//! under a refreshing writer vs `RwLock<Arc<T>>`; Ledger transfers vs one global
//! `Mutex<HashMap<u64, i64>>` (the seeds' account service).

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use atomicperf::{Ledger, ShardedMap, SnapshotCell};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const KEYS: u64 = 10_000;

fn key(i: u64, t: u64) -> u64 {
    (i.wrapping_mul(2_654_435_761) ^ t.wrapping_mul(0x9E37_79B9)) % KEYS
}

/// The operations every map design offers, so that one workload drives them all.
trait Map: Sync {
    fn get(&self, k: u64) -> Option<u64>;
    fn insert(&self, k: u64, v: u64);
    fn remove(&self, k: u64);
}

impl Map for ShardedMap<u64, u64> {
    fn get(&self, k: u64) -> Option<u64> {
        ShardedMap::get(self, &k)
    }
    fn insert(&self, k: u64, v: u64) {
        ShardedMap::insert(self, k, v);
    }
    fn remove(&self, k: u64) {
        ShardedMap::remove(self, &k);
    }
}

impl Map for RwLock<HashMap<u64, u64>> {
    fn get(&self, k: u64) -> Option<u64> {
        self.read().unwrap().get(&k).copied()
    }
    fn insert(&self, k: u64, v: u64) {
        self.write().unwrap().insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.write().unwrap().remove(&k);
    }
}

impl Map for Mutex<HashMap<u64, u64>> {
    fn get(&self, k: u64) -> Option<u64> {
        self.lock().unwrap().get(&k).copied()
    }
    fn insert(&self, k: u64, v: u64) {
        self.lock().unwrap().insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.lock().unwrap().remove(&k);
    }
}

impl Map for dashmap::DashMap<u64, u64> {
    fn get(&self, k: u64) -> Option<u64> {
        dashmap::DashMap::get(self, &k).map(|r| *r)
    }
    fn insert(&self, k: u64, v: u64) {
        dashmap::DashMap::insert(self, k, v);
    }
    fn remove(&self, k: u64) {
        dashmap::DashMap::remove(self, &k);
    }
}

fn filled<M: Map>(m: M) -> M {
    (0..KEYS).for_each(|k| m.insert(k, k));
    m
}

fn maps(c: &mut Criterion) {
    // (workload, percent of operations that are gets; the rest alternate insert and remove)
    for (workload, get_pct) in [
        ("read_heavy_90pct_get", 90u64),
        ("mixed_50pct_insert_remove", 50),
    ] {
        let mut group = c.benchmark_group(format!("map_{workload}"));
        for threads in [1usize, 2] {
            group.throughput(Throughput::Elements(threads as u64));
            let designs: Vec<(&str, Box<dyn Map>)> = vec![
                (
                    "atomicperf_sharded",
                    Box::new(filled(ShardedMap::<u64, u64>::new())),
                ),
                (
                    "dashmap",
                    Box::new(filled(dashmap::DashMap::<u64, u64>::new())),
                ),
                (
                    "rwlock_hashmap",
                    Box::new(filled(RwLock::new(HashMap::new()))),
                ),
                (
                    "mutex_hashmap",
                    Box::new(filled(Mutex::new(HashMap::new()))),
                ),
            ];
            for (name, map) in &designs {
                group.bench_with_input(BenchmarkId::new(*name, threads), &threads, |b, &t| {
                    b.iter_custom(|iters| {
                        common::run_threads_indexed(t, iters, |thread, i| {
                            let k = key(i, thread);
                            match i % 100 {
                                p if p < get_pct => {
                                    black_box(map.get(k));
                                }
                                p if p % 2 == 0 => map.insert(k, i),
                                _ => map.remove(k),
                            }
                        })
                    })
                });
            }
        }
        group.finish();
    }
}

/// Runs `f` while a writer thread replaces the value every 50 µs (the seeds' periodic refresh).
fn with_refresher<R>(store: impl Fn(u64) + Sync, f: impl FnOnce() -> R) -> R {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                store(n);
                std::thread::sleep(Duration::from_micros(50));
            }
        });
        let r = f();
        stop.store(true, Ordering::Relaxed);
        r
    })
}

fn snapshot_cell(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_load_with_writer");
    let rates = || vec![1.0f64; 64];
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let cell = SnapshotCell::new(rates());
        group.bench_with_input(
            BenchmarkId::new("atomicperf_arcswap", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    with_refresher(
                        |_| {
                            cell.store(rates());
                        },
                        || {
                            common::run_threads(t, iters, |_| {
                                black_box(cell.read(|t| t[0]));
                            })
                        },
                    )
                })
            },
        );
        let locked = RwLock::new(Arc::new(rates()));
        group.bench_with_input(
            BenchmarkId::new("rwlock_arc", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    with_refresher(
                        |_| *locked.write().unwrap() = Arc::new(rates()),
                        || {
                            common::run_threads(t, iters, |_| {
                                black_box(locked.read().unwrap()[0]);
                            })
                        },
                    )
                })
            },
        );
    }
    group.finish();
}

fn ledger(c: &mut Criterion) {
    const ACCOUNTS: u64 = 1_000;
    let mut group = c.benchmark_group("ledger_transfer");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(threads as u64));
        let ours = Ledger::new();
        for id in 0..ACCOUNTS {
            ours.open(id, true).unwrap();
        }
        group.bench_with_input(
            BenchmarkId::new("atomicperf_ledger", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads_indexed(t, iters, |thread, i| {
                        let (from, to) = (
                            key(i, 2 * thread + 1) % ACCOUNTS,
                            key(i, 2 * thread + 2) % ACCOUNTS,
                        );
                        let _ = black_box(ours.transfer(from, to, 1));
                    })
                })
            },
        );
        let global: Mutex<HashMap<u64, i64>> =
            Mutex::new((0..ACCOUNTS).map(|id| (id, 0)).collect());
        group.bench_with_input(
            BenchmarkId::new("global_mutex_hashmap", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads_indexed(t, iters, |thread, i| {
                        let (from, to) = (
                            key(i, 2 * thread + 1) % ACCOUNTS,
                            key(i, 2 * thread + 2) % ACCOUNTS,
                        );
                        if from != to {
                            let mut accounts = global.lock().unwrap();
                            *accounts.get_mut(&from).unwrap() -= 1;
                            *accounts.get_mut(&to).unwrap() += 1;
                        }
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, maps, snapshot_cell, ledger);
criterion_main!(benches);
