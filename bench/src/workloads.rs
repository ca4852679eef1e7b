//! The workloads: each primitive against the designs these primitives replace, as closures the runner
//! drives from every thread. Every design of a workload does the same logical operation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use atomicperf::{
    Counter, Gauge, Histogram, Ledger, MinMax, RateTracker, ShardedMap, SnapshotCell, Timer,
};

/// One operation, called as `op(thread, i)` with the thread's index and a per-thread sequence
/// number.
pub(crate) type Op = Arc<dyn Fn(usize, u64) + Send + Sync>;
/// Background work run every 50 µs while a cell runs (a service's periodic refresh).
pub(crate) type Tick = Arc<dyn Fn() + Send + Sync>;

/// One design of a workload.
pub(crate) struct Design {
    pub(crate) name: &'static str,
    pub(crate) baseline: bool,
    pub(crate) make: fn() -> (Op, Option<Tick>),
}

/// A workload: one logical operation, several designs.
pub(crate) struct Workload {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) designs: Vec<Design>,
}

/// A scattered value for thread `t`'s `i`-th operation: threads of a service record different
/// values, not the same sequence in lockstep.
fn scattered(t: usize, i: u64) -> u64 {
    i.wrapping_add(t as u64 * 1_000_003)
        .wrapping_mul(2_654_435_761)
        % 1_000_003
}

fn key(thread: usize, i: u64, keys: u64) -> u64 {
    (i.wrapping_mul(2_654_435_761) ^ (thread as u64).wrapping_mul(0x9E37_79B9)) % keys
}

fn op(f: impl Fn(usize, u64) + Send + Sync + 'static) -> (Op, Option<Tick>) {
    (Arc::new(f), None)
}

const MAP_KEYS: u64 = 10_000;
const ACCOUNTS: u64 = 1_000;

/// Every workload, in report order.
pub(crate) fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "counter",
            description: "increment a shared counter",
            designs: vec![
                Design { name: "atomicperf Counter (striped)", baseline: false, make: || {
                    let c = Counter::new();
                    op(move |_, _| c.inc())
                }},
                Design { name: "one AtomicU64", baseline: false, make: || {
                    let c = AtomicU64::new(0);
                    op(move |_, _| { c.fetch_add(1, Ordering::Relaxed); })
                }},
                Design { name: "Mutex<u64>", baseline: true, make: || {
                    let c = Mutex::new(0u64);
                    op(move |_, _| *c.lock().unwrap() += 1)
                }},
            ],
        },
        Workload {
            name: "gauge",
            description: "add to a shared f64",
            designs: vec![
                Design { name: "atomicperf Gauge (CAS)", baseline: false, make: || {
                    let g = Gauge::new();
                    op(move |_, _| g.add(1.0))
                }},
                Design { name: "Mutex<f64>", baseline: true, make: || {
                    let g = Mutex::new(0.0f64);
                    op(move |_, _| *g.lock().unwrap() += 1.0)
                }},
            ],
        },
        Workload {
            name: "minmax",
            description: "track min and max of scattered values",
            designs: vec![
                Design { name: "atomicperf MinMax (CAS)", baseline: false, make: || {
                    let m = MinMax::new();
                    op(move |t, i| m.record(scattered(t, i)))
                }},
                Design { name: "Mutex<(u64, u64)>", baseline: true, make: || {
                    let m = Mutex::new((u64::MAX, 0u64));
                    op(move |t, i| {
                        let v = scattered(t, i);
                        let mut g = m.lock().unwrap();
                        g.0 = g.0.min(v);
                        g.1 = g.1.max(v);
                    })
                }},
            ],
        },
        Workload {
            name: "histogram",
            description: "record a latency (1 us to 1 s)",
            designs: vec![
                Design { name: "atomicperf Histogram", baseline: false, make: || {
                    let h = Histogram::new();
                    op(move |t, i| h.record(1_000 + scattered(t, i) * 997))
                }},
                Design { name: "Mutex<hdrhistogram>", baseline: true, make: || {
                    let h = Mutex::new(hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 2).unwrap());
                    op(move |t, i| h.lock().unwrap().saturating_record(1_000 + scattered(t, i) * 997))
                }},
            ],
        },
        Workload {
            name: "timer",
            description: "record a rule execution (a mutex-guarded rule-execution metric)",
            designs: vec![
                Design { name: "atomicperf Timer", baseline: false, make: || {
                    let t = Timer::new();
                    op(move |th, i| t.record_nanos(1_000 + scattered(th, i), i % 64 != 0))
                }},
                Design { name: "Mutex<rule metric struct>", baseline: true, make: || {
                    struct Rule { count: u64, errors: u64, total: u64, min: u64, max: u64, h: hdrhistogram::Histogram<u64> }
                    let m = Mutex::new(Rule {
                        count: 0, errors: 0, total: 0, min: u64::MAX, max: 0,
                        h: hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000, 2).unwrap(),
                    });
                    op(move |t, i| {
                        let d = 1_000 + scattered(t, i);
                        let mut r = m.lock().unwrap();
                        r.count += 1;
                        r.errors += u64::from(i % 64 == 0);
                        r.total += d;
                        r.min = r.min.min(d);
                        r.max = r.max.max(d);
                        r.h.saturating_record(d);
                    })
                }},
            ],
        },
        Workload {
            name: "rate_tracker",
            description: "compute rates of 4 counters (concurrent callers)",
            designs: vec![
                Design { name: "atomicperf RateTracker (atomic swap)", baseline: false, make: || {
                    let t = RateTracker::new((0..4).map(|i| (format!("c{i}"), Arc::new(Counter::new()))));
                    op(move |_, _| { std::hint::black_box(t.rates()); })
                }},
                Design { name: "Mutex<previous snapshot>", baseline: true, make: || {
                    let counters: Vec<Counter> = (0..4).map(|_| Counter::new()).collect();
                    let prev: Mutex<Option<(Instant, Vec<u64>)>> = Mutex::new(None);
                    op(move |_, _| {
                        let mut p = prev.lock().unwrap();
                        let now = Instant::now();
                        let values: Vec<u64> = counters.iter().map(Counter::get).collect();
                        if let Some((at, old)) = &*p {
                            let secs = now.duration_since(*at).as_secs_f64().max(f64::MIN_POSITIVE);
                            let rates: Vec<f64> = values.iter().zip(old).map(|(v, o)| (v - o) as f64 / secs).collect();
                            std::hint::black_box(rates);
                        }
                        *p = Some((now, values));
                    })
                }},
            ],
        },
        Workload {
            name: "snapshot_cell",
            description: "read a 64-entry rate table while a writer refreshes it every 50 us (a rate cache's GetRates)",
            designs: vec![
                Design { name: "atomicperf SnapshotCell (arc-swap)", baseline: false, make: || {
                    let cell = Arc::new(SnapshotCell::new(vec![1.0f64; 64]));
                    let writer = cell.clone();
                    (Arc::new(move |_, _| { std::hint::black_box(cell.read(|t| t[0])); }),
                     Some(Arc::new(move || { writer.store(vec![2.0f64; 64]); })))
                }},
                Design { name: "RwLock<Arc<table>>", baseline: true, make: || {
                    let cell = Arc::new(RwLock::new(Arc::new(vec![1.0f64; 64])));
                    let writer = cell.clone();
                    (Arc::new(move |_, _| { std::hint::black_box(cell.read().unwrap()[0]); }),
                     Some(Arc::new(move || { *writer.write().unwrap() = Arc::new(vec![2.0f64; 64]); })))
                }},
            ],
        },
        map_workload("map_read_heavy", "90% get, 10% insert/remove over 10,000 keys", 90),
        map_workload("map_mixed", "50% get, 50% insert/remove over 10,000 keys", 50),
        Workload {
            name: "ledger",
            description: "transfer between random accounts of 1,000 (an account service behind one global lock)",
            designs: vec![
                Design { name: "atomicperf Ledger (lock-free CAS)", baseline: false, make: || {
                    let l = Ledger::new();
                    (0..ACCOUNTS).for_each(|id| l.open(id, true).unwrap());
                    op(move |t, i| {
                        let (from, to) = (key(t, i, ACCOUNTS), key(t, i.wrapping_add(7), ACCOUNTS));
                        let _ = std::hint::black_box(l.transfer(from, to, 1));
                    })
                }},
                Design { name: "one global Mutex<HashMap>", baseline: true, make: || {
                    let m: Mutex<HashMap<u64, i64>> = Mutex::new((0..ACCOUNTS).map(|id| (id, 0)).collect());
                    op(move |t, i| {
                        let (from, to) = (key(t, i, ACCOUNTS), key(t, i.wrapping_add(7), ACCOUNTS));
                        if from != to {
                            let mut a = m.lock().unwrap();
                            *a.get_mut(&from).unwrap() -= 1;
                            *a.get_mut(&to).unwrap() += 1;
                        }
                    })
                }},
            ],
        },
        Workload {
            name: "ledger_hot",
            description: "90% of transfers credit one merchant account (open_hot), 10% between random accounts of 1,000",
            designs: vec![
                Design { name: "atomicperf Ledger (hot account striped)", baseline: false, make: || {
                    let l = Ledger::new();
                    (0..ACCOUNTS).for_each(|id| l.open(id, true).unwrap());
                    l.open_hot(ACCOUNTS, true).unwrap();
                    op(move |t, i| {
                        let (from, to) = hot_transfer(t, i);
                        let _ = std::hint::black_box(l.transfer(from, to, 1));
                    })
                }},
                Design { name: "one global Mutex<HashMap>", baseline: true, make: || {
                    let m: Mutex<HashMap<u64, i64>> = Mutex::new((0..=ACCOUNTS).map(|id| (id, 0)).collect());
                    op(move |t, i| {
                        let (from, to) = hot_transfer(t, i);
                        if from != to {
                            let mut a = m.lock().unwrap();
                            *a.get_mut(&from).unwrap() -= 1;
                            *a.get_mut(&to).unwrap() += 1;
                        }
                    })
                }},
            ],
        },
    ]
}

/// Transfer `i` of thread `t` in `ledger_hot`: 9 in 10 credit account `ACCOUNTS` (the hot one).
fn hot_transfer(t: usize, i: u64) -> (u64, u64) {
    let from = key(t, i, ACCOUNTS);
    if i % 10 == 9 {
        (from, key(t, i.wrapping_add(7), ACCOUNTS))
    } else {
        (from, ACCOUNTS)
    }
}

/// The operations every map design offers, so one workload drives them all.
trait MapLike: Send + Sync + 'static {
    fn get(&self, k: u64) -> Option<u64>;
    fn insert(&self, k: u64, v: u64);
    fn remove(&self, k: u64);
}

impl MapLike for ShardedMap<u64, u64> {
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

impl MapLike for RwLock<HashMap<u64, u64>> {
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

impl MapLike for Mutex<HashMap<u64, u64>> {
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

fn map_op<M: MapLike>(m: M, get_pct: u64) -> (Op, Option<Tick>) {
    (0..MAP_KEYS).for_each(|k| m.insert(k, k));
    op(move |t, i| {
        let k = key(t, i, MAP_KEYS);
        match i % 100 {
            p if p < get_pct => {
                std::hint::black_box(m.get(k));
            }
            p if p % 2 == 0 => m.insert(k, i),
            _ => m.remove(k),
        }
    })
}

fn map_workload(name: &'static str, description: &'static str, get_pct: u64) -> Workload {
    // Function pointers cannot capture `get_pct`: one set per mix.
    let designs = if get_pct == 90 {
        vec![
            Design {
                name: "atomicperf ShardedMap",
                baseline: false,
                make: || map_op(ShardedMap::<u64, u64>::new(), 90),
            },
            Design {
                name: "RwLock<HashMap>",
                baseline: true,
                make: || map_op(RwLock::new(HashMap::new()), 90),
            },
            Design {
                name: "Mutex<HashMap>",
                baseline: false,
                make: || map_op(Mutex::new(HashMap::new()), 90),
            },
        ]
    } else {
        vec![
            Design {
                name: "atomicperf ShardedMap",
                baseline: false,
                make: || map_op(ShardedMap::<u64, u64>::new(), 50),
            },
            Design {
                name: "RwLock<HashMap>",
                baseline: true,
                make: || map_op(RwLock::new(HashMap::new()), 50),
            },
            Design {
                name: "Mutex<HashMap>",
                baseline: false,
                make: || map_op(Mutex::new(HashMap::new()), 50),
            },
        ]
    };
    Workload {
        name,
        description,
        designs,
    }
}
