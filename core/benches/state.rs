//! Concurrent state against the locks it replaces, in the same run: ShardedMap vs
//! `RwLock<HashMap>`, `Mutex<HashMap>` and dashmap (read-heavy and mixed); SnapshotCell loads
//! under a refreshing writer vs `RwLock<Arc<T>>`; Ledger transfers vs one global
//! `Mutex<HashMap<u64, i64>>` (an account service behind one global lock); Ledger batches
//! (`transfer_many`) vs one `transfer` call per transfer.

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

/// Runs `f` while a writer thread replaces the value every 50 µs (a service's periodic refresh).
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

/// The account service's global lock, doing what a transfer does: find both accounts, refuse
/// an overflow, move the amount.
fn mutex_transfer(global: &Mutex<HashMap<u64, i64>>, from: u64, to: u64, amount: i64) {
    if from == to {
        return;
    }
    let mut accounts = global.lock().unwrap();
    let debited = accounts[&from].checked_sub(amount);
    let credited = accounts[&to].checked_add(amount);
    if let (Some(d), Some(c)) = (debited, credited) {
        *accounts.get_mut(&from).unwrap() = d;
        *accounts.get_mut(&to).unwrap() = c;
    }
}

/// Transfers between two random accounts of 10,000 (overdraft, so none is refused) at 1, 2 and 4
/// threads; and `ledger_hot`: 90% of the transfers credit one account (opened with `open_hot`),
/// at 2 threads. Both against one global `Mutex<HashMap<u64, i64>>` doing the same transfers.
fn ledger(c: &mut Criterion) {
    const ACCOUNTS: u64 = 10_000;
    const HOT: u64 = ACCOUNTS;
    let global = || {
        Mutex::new(
            (0..=ACCOUNTS)
                .map(|id| (id, 0))
                .collect::<HashMap<u64, i64>>(),
        )
    };
    let ours = Ledger::new();
    for id in 0..ACCOUNTS {
        ours.open(id, true).unwrap();
    }
    ours.open_hot(HOT, true).unwrap();
    let random = |thread: u64, i: u64| {
        (
            key(i, 2 * thread + 1) % ACCOUNTS,
            key(i, 2 * thread + 2) % ACCOUNTS,
        )
    };
    // 9 transfers in 10 credit the hot account; the 10th is between two random accounts.
    let hot = |thread: u64, i: u64| {
        let (from, to) = random(thread, i);
        if i % 10 == 9 {
            (from, to)
        } else {
            (from, HOT)
        }
    };

    let mut group = c.benchmark_group("ledger_transfer");
    for threads in [1usize, 2, 4] {
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_with_input(
            BenchmarkId::new("atomicperf_ledger", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads_indexed(t, iters, |thread, i| {
                        let (from, to) = random(thread, i);
                        let _ = black_box(ours.transfer(from, to, 1));
                    })
                })
            },
        );
        let global = global();
        group.bench_with_input(
            BenchmarkId::new("global_mutex_hashmap", threads),
            &threads,
            |b, &t| {
                b.iter_custom(|iters| {
                    common::run_threads_indexed(t, iters, |thread, i| {
                        let (from, to) = random(thread, i);
                        mutex_transfer(&global, from, to, 1);
                    })
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("ledger_hot");
    let threads = 2usize;
    group.throughput(Throughput::Elements(threads as u64));
    group.bench_with_input(
        BenchmarkId::new("atomicperf_ledger_open_hot", threads),
        &threads,
        |b, &t| {
            b.iter_custom(|iters| {
                common::run_threads_indexed(t, iters, |thread, i| {
                    let (from, to) = hot(thread, i);
                    let _ = black_box(ours.transfer(from, to, 1));
                })
            })
        },
    );
    let global = global();
    group.bench_with_input(
        BenchmarkId::new("global_mutex_hashmap", threads),
        &threads,
        |b, &t| {
            b.iter_custom(|iters| {
                common::run_threads_indexed(t, iters, |thread, i| {
                    let (from, to) = hot(thread, i);
                    mutex_transfer(&global, from, to, 1);
                })
            })
        },
    );
    group.finish();
}

/// `transfer_many` of 1,000 transfers against 1,000 `transfer` calls, on one thread, per
/// transfer: between random accounts of 10,000, and 1,000 times between one pair (what the
/// bindings' batch benchmarks send). The batch finds each account and marks each source in flight
/// once per batch; every transfer still debits and credits with its own compare-and-swap.
fn ledger_batch(c: &mut Criterion) {
    const ACCOUNTS: u64 = 10_000;
    const BATCH: u64 = 1_000;
    let ours = Ledger::new();
    for id in 0..ACCOUNTS {
        ours.open(id, true).unwrap();
    }
    let random: Vec<(u64, u64, i64)> = (0..BATCH)
        .map(|i| {
            (
                key(i, 1),
                (key(i, 1) + 1 + key(i, 2) % (ACCOUNTS - 1)) % ACCOUNTS,
                1,
            )
        })
        .collect();
    let pair: Vec<(u64, u64, i64)> = (0..BATCH).map(|_| (1, 2, 1)).collect();
    let mut group = c.benchmark_group("ledger_batch");
    group.throughput(Throughput::Elements(BATCH));
    for (name, batch) in [("random_pairs", &random), ("one_pair", &pair)] {
        group.bench_function(BenchmarkId::new("transfer_x1000", name), |b| {
            b.iter(|| {
                for &(from, to, amount) in batch {
                    let _ = black_box(ours.transfer(from, to, amount));
                }
            })
        });
        group.bench_function(BenchmarkId::new("transfer_many_1000", name), |b| {
            b.iter(|| black_box(ours.transfer_many(batch)))
        });
    }
    group.finish();
}

criterion_group!(benches, maps, snapshot_cell, ledger, ledger_batch);
criterion_main!(benches);
