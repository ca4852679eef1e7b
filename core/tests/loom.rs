//! Loom models of the lock-free paths: every interleaving (and every weak-memory outcome loom
//! explores) of two or three threads on the real code, compiled against loom's atomics.
//! Run: RUSTFLAGS="--cfg loom" cargo test --release -p atomicperf --test loom
#![cfg(loom)]

use atomicperf::{Counter, Error, Gauge, Histogram, Ledger, NativeConfig, NativeHistogram};
use loom::sync::Arc;
use loom::thread;

#[test]
fn concurrent_increments_on_one_stripe_are_never_lost() {
    loom::model(|| {
        let c = Arc::new(Counter::with_stripes(1).unwrap());
        let c2 = c.clone();
        let t = thread::spawn(move || c2.add(2));
        c.inc();
        t.join().unwrap();
        assert_eq!(c.get(), 3);
    });
}

#[test]
fn concurrent_gauge_adds_are_never_lost() {
    loom::model(|| {
        let g = Arc::new(Gauge::new());
        let g2 = g.clone();
        let t = thread::spawn(move || g2.add(1.5));
        g.add(2.0);
        t.join().unwrap();
        assert_eq!(g.get(), 3.5);
    });
}

#[test]
fn racing_set_max_keeps_the_largest() {
    loom::model(|| {
        let g = Arc::new(Gauge::new());
        let g2 = g.clone();
        let t = thread::spawn(move || g2.set_max(5.0));
        g.set_max(3.0);
        t.join().unwrap();
        assert_eq!(g.get(), 5.0);
    });
}

#[test]
fn racing_records_keep_exact_count_sum_and_extremes() {
    loom::model(|| {
        let h = Arc::new(Histogram::with_precision(1, 64).unwrap());
        let h2 = h.clone();
        let t = thread::spawn(move || h2.record(40));
        h.record(3);
        t.join().unwrap();
        assert_eq!(h.count(), 2);
        assert_eq!(h.sum(), 43);
        assert_eq!(h.min(), Some(3));
        assert_eq!(h.max(), Some(40));
    });
}

/// A native histogram whose dense array is one bucket: other values go to the spill tables.
fn native() -> NativeHistogram {
    NativeHistogram::with_config(
        NativeConfig::new(0)
            .unwrap()
            .with_dense_range(1.0, 1.0)
            .unwrap(),
    )
}

#[test]
fn racing_spilled_records_of_one_bucket_claim_one_slot_and_count_both() {
    loom::model(|| {
        let h = Arc::new(native());
        let h2 = h.clone();
        let t = thread::spawn(move || h2.record(-3.0));
        h.record(-3.5); // the same bucket (4, at schema 0), racing for the first table too
        t.join().unwrap();
        let s = h.snapshot();
        assert_eq!(s.negative(), &[(2, 2)]);
        assert_eq!(s.count(), 2);
        assert_eq!(h.sum(), -6.5);
    });
}

#[test]
fn racing_spilled_records_of_two_buckets_keep_both() {
    loom::model(|| {
        let h = Arc::new(native());
        let h2 = h.clone();
        let t = thread::spawn(move || h2.record(100.0));
        h.record(-0.25);
        t.join().unwrap();
        let s = h.snapshot();
        assert_eq!(s.positive(), &[(7, 1)]);
        assert_eq!(s.negative(), &[(-2, 1)]);
    });
}

#[test]
fn a_reader_that_sees_a_record_also_sees_its_min_and_max() {
    loom::model(|| {
        let h = Arc::new(Histogram::with_precision(1, 64).unwrap());
        let h2 = h.clone();
        let t = thread::spawn(move || h2.record(7));
        // The Release on the bucket and Acquire in count() order the extremes before the count.
        if let Some(min) = h.min() {
            assert_eq!(min, 7);
            assert_eq!(h.max(), Some(7));
        }
        t.join().unwrap();
    });
}

#[test]
fn racing_minmax_records_keep_both_extremes() {
    loom::model(|| {
        let m = Arc::new(atomicperf::MinMax::new());
        let m2 = m.clone();
        let t = thread::spawn(move || m2.record(9));
        m.record(4);
        t.join().unwrap();
        assert_eq!((m.min(), m.max()), (Some(4), Some(9)));
    });
}

#[test]
fn a_minmax_reader_never_sees_the_empty_sentinels_as_values() {
    loom::model(|| {
        let m = Arc::new(atomicperf::MinMax::new());
        let m2 = m.clone();
        let t = thread::spawn(move || m2.record(7));
        if let Some(min) = m.min() {
            assert_eq!(min, 7);
        }
        t.join().unwrap();
    });
}

#[test]
fn racing_window_records_in_one_bucket_count_every_event() {
    loom::model(|| {
        let clock = std::sync::Arc::new(atomicperf::ManualClock::new());
        let w = Arc::new(
            atomicperf::ThroughputWindow::with_clock(
                std::time::Duration::from_secs(2),
                2,
                std::time::Duration::from_millis(1),
                clock.clone(),
            )
            .unwrap(),
        );
        let w2 = w.clone();
        let t = thread::spawn(move || w2.record_nanos(5_000_000));
        w.record_nanos(0);
        t.join().unwrap();
        let s = w.stats();
        assert_eq!((s.events, s.violations), (2, 1));
    });
}

#[test]
fn opposite_transfers_conserve_the_total_and_never_go_negative() {
    loom::model(|| {
        let l = Arc::new(Ledger::new());
        l.open(1, false).unwrap();
        l.open(2, false).unwrap();
        l.deposit(1, 2).unwrap();
        l.deposit(2, 1).unwrap();
        let l2 = l.clone();
        let t = thread::spawn(move || l2.transfer(2, 1, 1));
        let mine = l.transfer(1, 2, 2);
        let theirs = t.join().unwrap();
        let (a, b) = (l.balance(1).unwrap(), l.balance(2).unwrap());
        assert_eq!(a + b, 3);
        assert!(a >= 0 && b >= 0);
        // Whatever failed failed for lack of funds, and changed nothing.
        for r in [mine, theirs] {
            assert!(matches!(r, Ok(()) | Err(Error::InsufficientFunds { .. })));
        }
    });
}

#[test]
fn a_close_racing_a_transfer_out_never_loses_the_money() {
    loom::model(|| {
        let l = Arc::new(Ledger::new());
        l.open(1, false).unwrap();
        l.open(2, false).unwrap();
        l.deposit(1, 1).unwrap();
        let l2 = l.clone();
        // The transfer empties account 1 while account 2 is being closed: either the close
        // wins (the credit fails and the debit is refunded) or the transfer does (the close
        // then finds money in account 2).
        let t = thread::spawn(move || l2.close(2));
        let moved = l.transfer(1, 2, 1);
        let closed = t.join().unwrap();
        match (&moved, &closed) {
            (Ok(()), Err(Error::AccountNotEmpty { .. })) => {
                assert_eq!((l.balance(1), l.balance(2)), (Ok(0), Ok(1)))
            }
            (Err(Error::AccountClosed(2)), Ok(())) => assert_eq!(l.balance(1), Ok(1)),
            other => panic!("unexpected outcome {other:?}"),
        }
        assert_eq!(l.total(), 1);
    });
}

#[test]
fn a_close_racing_a_batch_that_needs_a_refund_never_loses_the_money() {
    loom::model(|| {
        let l = Arc::new(Ledger::new());
        for id in 1..=3 {
            l.open(id, false).unwrap();
        }
        l.close(2).unwrap();
        l.deposit(1, 1).unwrap();
        let l2 = l.clone();
        // The batch empties account 1 twice: the first transfer's credit fails (account 2 is
        // closed) and its debit is given back, the second moves the money to account 3. A close
        // of account 1 racing it must neither make that refund wait for ever nor close the
        // account while the batch has transferred from it: account 1 is empty only between a
        // debit and its refund, or after the second transfer, and the batch holds it in flight
        // from its first transfer until it returns.
        let t = thread::spawn(move || l2.close(1));
        let results = l.transfer_many(&[(1, 2, 1), (1, 3, 1)]);
        let closed = t.join().unwrap();
        assert_eq!(results, vec![Err(Error::AccountClosed(2)), Ok(())]);
        match closed {
            // After the batch returned.
            Ok(()) => assert_eq!(l.balance(1), Err(Error::AccountClosed(1))),
            Err(Error::AccountNotEmpty { account: 1, .. }) => assert_eq!(l.balance(1), Ok(0)),
            other => panic!("unexpected close {other:?}"),
        }
        assert_eq!(l.balance(3), Ok(1));
        assert_eq!(l.total(), 1);
    });
}

#[test]
fn an_exemplar_read_during_a_store_is_the_old_or_the_new_never_a_mix() {
    loom::model(|| {
        let c = Arc::new(Counter::with_stripes(1).unwrap());
        c.inc_with_exemplar(&[("a", "1")], Some(1.0)).unwrap();
        let c2 = c.clone();
        let t = thread::spawn(move || {
            c2.add_with_exemplar(2, &[("bb", "22")], Some(2.0)).unwrap();
        });
        // A reader that keeps meeting the store may report none; what it reports is whole.
        if let Some(e) = c.exemplar() {
            let whole_old = e.labels == [("a".to_string(), "1".to_string())]
                && e.value == 1.0
                && e.timestamp == Some(1.0);
            let whole_new = e.labels == [("bb".to_string(), "22".to_string())]
                && e.value == 2.0
                && e.timestamp == Some(2.0);
            assert!(whole_old || whole_new, "torn: {e:?}");
        }
        t.join().unwrap();
        assert_eq!(c.exemplar().unwrap().value, 2.0);
        assert_eq!(c.get(), 3);
    });
}

/// A summary of `age_buckets` slots of 1 s on a manual clock, with a small histogram layout
/// (loom tracks every cell). The clock is not loom's: only the model thread moves it, before
/// spawning.
fn summary(
    age_buckets: u32,
) -> (
    Arc<atomicperf::Summary>,
    std::sync::Arc<atomicperf::ManualClock>,
) {
    let clock = std::sync::Arc::new(atomicperf::ManualClock::new());
    let config = atomicperf::SummaryConfig {
        max_age: std::time::Duration::from_secs(u64::from(age_buckets)),
        age_buckets,
        histogram: atomicperf::HistogramConfig::new(1, 16).unwrap(),
        ..atomicperf::SummaryConfig::default()
    };
    let s = atomicperf::Summary::with_clock(config, clock.clone()).unwrap();
    (Arc::new(s), clock)
}

#[test]
fn first_records_of_a_slot_racing_to_claim_a_histogram_both_land_in_the_window() {
    loom::model(|| {
        let (s, clock) = summary(1);
        s.record(9); // slot 0, which the one-slot window loses at slot 1
        clock.advance(std::time::Duration::from_secs(1));
        let s2 = s.clone();
        let t = thread::spawn(move || s2.record(3));
        s.record(5);
        t.join().unwrap();
        let w = s.window();
        assert_eq!(w.count(), 2);
        assert_eq!((w.min(), w.max()), (Some(3), Some(5)));
        assert_eq!((s.count(), s.sum()), (3, 17));
    });
}

#[test]
fn a_window_read_racing_a_rotation_sees_the_new_record_wholly_or_not_at_all() {
    loom::model(|| {
        let (s, clock) = summary(2);
        s.record(4); // slot 0: still in the two-slot window at slot 1
        clock.advance(std::time::Duration::from_secs(1));
        let s2 = s.clone();
        let t = thread::spawn(move || s2.record(12));
        let w = s.window();
        match w.count() {
            1 => assert_eq!((w.min(), w.max(), w.sum()), (Some(4), Some(4), 4)),
            2 => assert_eq!((w.min(), w.max(), w.sum()), (Some(4), Some(12), 16)),
            n => panic!("{n} values in the window"),
        }
        t.join().unwrap();
        assert_eq!(s.window().count(), 2);
        assert_eq!(s.count(), 2);
    });
}
