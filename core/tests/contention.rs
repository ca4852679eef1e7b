//! Invariants under real contention: 8 OS threads on one metric, more threads than stripes.
#![cfg(not(loom))]

use std::sync::{Arc, Barrier};

use atomicperf::{Counter, Gauge, Histogram};

const THREADS: u64 = 8;
const OPS: u64 = 100_000;

fn hammer(f: impl Fn(u64, u64) + Send + Sync + 'static) {
    let f = Arc::new(f);
    let start = Arc::new(Barrier::new(THREADS as usize));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (f, start) = (f.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..OPS {
                    f(t, i);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn counter_loses_no_increment_with_more_threads_than_stripes() {
    let c = Arc::new(Counter::with_stripes(2).unwrap());
    let c2 = c.clone();
    hammer(move |_, i| if i % 2 == 0 { c2.inc() } else { c2.add(3) });
    assert_eq!(c.get(), THREADS * OPS / 2 * 4);
}

#[test]
fn counter_read_while_writing_is_between_start_and_end_totals() {
    let c = Arc::new(Counter::new());
    let c2 = c.clone();
    let reader = std::thread::spawn(move || {
        let mut last = 0;
        for _ in 0..10_000 {
            let now = c2.get();
            assert!(
                now >= last,
                "a monotonic counter went backwards: {last} -> {now}"
            );
            last = now;
        }
    });
    let c3 = c.clone();
    hammer(move |_, _| c3.inc());
    reader.join().unwrap();
    assert_eq!(c.get(), THREADS * OPS);
}

#[test]
fn gauge_adds_from_many_threads_all_land() {
    let g = Arc::new(Gauge::new());
    let g2 = g.clone();
    hammer(move |_, i| if i % 2 == 0 { g2.add(2.0) } else { g2.dec() });
    assert_eq!(g.get(), (THREADS * OPS / 2) as f64);
}

#[test]
fn gauge_set_max_and_set_min_race_to_the_true_extremes() {
    let (hi, lo) = (Arc::new(Gauge::new()), Arc::new(Gauge::new()));
    let (hi2, lo2) = (hi.clone(), lo.clone());
    hammer(move |t, i| {
        let v = (t * OPS + i) as f64 - 1000.0;
        hi2.set_max(v);
        lo2.set_min(v);
    });
    assert_eq!(hi.get(), (THREADS * OPS - 1) as f64 - 1000.0);
    assert_eq!(lo.get(), -1000.0);
}

#[test]
fn histogram_count_sum_min_max_exact_under_contention() {
    let h = Arc::new(Histogram::new());
    let h2 = h.clone();
    hammer(move |t, i| h2.record(1 + t * OPS + i));
    let n = THREADS * OPS;
    assert_eq!(h.count(), n);
    assert_eq!(h.sum(), n * (n + 1) / 2);
    assert_eq!(h.min(), Some(1));
    assert_eq!(h.max(), Some(n));
}

/// Scattered values, so that every thread keeps finding new extremes for a while.
fn scattered(t: u64, i: u64) -> u64 {
    (i * THREADS + t).wrapping_mul(2_654_435_761) % 1_000_003
}

#[test]
fn minmax_extremes_are_exact_under_contention() {
    let m = Arc::new(atomicperf::MinMax::new());
    let m2 = m.clone();
    hammer(move |t, i| m2.record(scattered(t, i)));
    let all = || (0..THREADS).flat_map(|t| (0..OPS).map(move |i| scattered(t, i)));
    assert_eq!((m.min(), m.max()), (all().min(), all().max()));
}

#[test]
fn timer_count_equals_calls_and_errors_equal_failed_calls() {
    let t = Arc::new(atomicperf::Timer::new());
    let t2 = t.clone();
    hammer(move |th, i| t2.record_nanos(1 + th * 1000 + i % 1000, i % 7 != 0));
    let failed_per_thread = (0..OPS).filter(|i| i % 7 == 0).count() as u64;
    assert_eq!(t.count(), THREADS * OPS);
    assert_eq!(t.errors(), THREADS * failed_per_thread);
    assert_eq!((t.min(), t.max()), (Some(1), Some(1 + 7 * 1000 + 999)));
}

#[test]
fn ledger_conserves_the_total_under_800_000_random_transfers() {
    const ACCOUNTS: u64 = 16;
    let ledger = Arc::new(atomicperf::Ledger::new());
    for id in 0..ACCOUNTS {
        ledger.open(id, false).unwrap();
        ledger.deposit(id, 1_000).unwrap();
    }
    let l2 = ledger.clone();
    let refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let r2 = refused.clone();
    hammer(move |t, i| {
        // A per-thread xorshift stream; thread pairs (0,1), (2,3)... use mirrored account pairs,
        // so that opposite-direction transfers between the same two accounts happen all the time.
        let mut x =
            (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
        let (a, b) = (x % ACCOUNTS, (x >> 8) % ACCOUNTS);
        let (from, to) = if t % 2 == 0 { (a, b) } else { (b, a) };
        let amount = 1 + (x >> 16) % 400; // large enough that some transfers find too little money
        match l2.transfer(from, to, amount as i64) {
            Ok(()) => {}
            Err(atomicperf::Error::InsufficientFunds { .. })
            | Err(atomicperf::Error::SameAccount(_)) => {
                r2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => panic!("unexpected {e}"),
        }
    });
    assert_eq!(ledger.total(), i128::from(ACCOUNTS as i32 * 1_000));
    assert!((0..ACCOUNTS).all(|id| ledger.balance(id).unwrap() >= 0));
    assert!(
        refused.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the run exercised refusals"
    );
}
