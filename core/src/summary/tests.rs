use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::ManualClock;

/// A summary over `age_buckets` slots of 1 s each, on a manual clock.
fn manual(age_buckets: u32) -> (Summary, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let config = SummaryConfig {
        max_age: Duration::from_secs(u64::from(age_buckets)),
        age_buckets,
        ..SummaryConfig::default()
    };
    (Summary::with_clock(config, clock.clone()).unwrap(), clock)
}

fn within(got: Option<u64>, want: f64, config: &HistogramConfig) -> bool {
    let got = got.expect("window not empty") as f64;
    (got - want).abs() <= want * config.relative_error()
}

#[test]
fn quantiles_of_known_data_are_within_the_histograms_precision() {
    let s = Summary::new();
    for v in 1..=10_000u64 {
        s.record(v * 1_000);
    }
    let c = s.config().histogram;
    for (q, want) in [(0.5, 5_000_000.0), (0.9, 9_000_000.0), (0.99, 9_900_000.0)] {
        assert!(within(s.quantile(q).unwrap(), want, &c), "q{q}");
    }
    assert_eq!(s.quantile(0.0).unwrap(), Some(1_000));
    assert_eq!(s.quantile(1.0).unwrap(), Some(10_000_000));
    assert_eq!(s.count(), 10_000);
    assert_eq!(s.sum(), 1_000 * 10_000 * 10_001 / 2);
    let snap = s.snapshot();
    let qs: Vec<f64> = snap.quantiles().iter().map(|(q, _)| *q).collect();
    assert_eq!(qs, vec![0.5, 0.9, 0.99]);
    assert!(within(snap.quantiles()[1].1, 9_000_000.0, &c));
    assert_eq!(snap.window().count(), 10_000);
}

#[test]
fn values_leave_the_window_one_age_bucket_at_a_time_and_stay_in_count_and_sum() {
    let (s, clock) = manual(3);
    s.record(100);
    clock.advance(Duration::from_secs(1));
    s.record(200);
    clock.advance(Duration::from_secs(1));
    s.record(300);
    assert_eq!(s.window().count(), 3);
    assert_eq!(s.quantile(0.0).unwrap(), Some(100));
    clock.advance(Duration::from_secs(1)); // slot 3: slot 0 (100) is out
    assert_eq!(s.window().count(), 2);
    assert_eq!(s.quantile(0.0).unwrap(), Some(200));
    s.record(400); // the first record of slot 3 reuses a histogram
    assert_eq!(s.window().count(), 3);
    clock.advance(Duration::from_millis(1999)); // still slot 4
    assert_eq!(s.quantile(0.0).unwrap(), Some(300));
    clock.advance(Duration::from_millis(1)); // slot 5: only 400 (slot 3) is left
    assert_eq!(s.quantile(0.0).unwrap(), Some(400));
    assert_eq!(s.quantile(1.0).unwrap(), Some(400));
    clock.advance(Duration::from_secs(10));
    assert_eq!(s.quantile(0.5).unwrap(), None);
    assert_eq!(
        s.snapshot().quantiles(),
        &[(0.5, None), (0.9, None), (0.99, None)]
    );
    assert_eq!((s.count(), s.sum()), (4, 1000));
}

#[test]
fn a_long_idle_spell_and_many_rotations_keep_exactly_the_window() {
    let (s, clock) = manual(5);
    let mut recorded_at = Vec::new(); // the slot of each pair of records
    for round in 0..200u64 {
        s.record(round);
        s.record(round);
        let now = clock.now_nanos() / 1_000_000_000;
        recorded_at.push(now);
        let want = 2 * recorded_at.iter().filter(|&&t| t + 5 > now).count() as u64;
        assert_eq!(s.window().count(), want, "round {round}");
        // One slot, or eight (idle slots) every third round.
        clock.advance(Duration::from_secs(if round % 3 == 2 { 8 } else { 1 }));
    }
    assert_eq!(s.count(), 400);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(s.window().count(), 0);
    s.record(7);
    assert_eq!(s.window().count(), 1);
    assert_eq!(s.quantile(0.5).unwrap(), Some(7));
}

#[test]
fn every_slot_of_the_window_counts_and_none_before_it() {
    let (s, clock) = manual(4);
    // Slot k gets k + 1 records of value k.
    for k in 0..20u64 {
        for _ in 0..=k {
            s.record(k);
        }
        let window = s.window();
        let oldest = k.saturating_sub(3);
        for v in 0..=k {
            let want = if v >= oldest { v + 1 } else { 0 };
            assert_eq!(window.counts()[v as usize], want, "slot {k}, value {v}");
        }
        clock.advance(Duration::from_secs(1));
    }
}

#[test]
fn bad_configurations_are_refused_with_the_reason() {
    let bad = |config: SummaryConfig, needle: &str| {
        let err = Summary::with_config(config).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{err}");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
    };
    let d = SummaryConfig::default;
    bad(
        SummaryConfig {
            quantiles: vec![0.5, 1.5],
            ..d()
        },
        "within [0, 1]",
    );
    bad(
        SummaryConfig {
            quantiles: vec![f64::NAN],
            ..d()
        },
        "within [0, 1]",
    );
    bad(
        SummaryConfig {
            quantiles: vec![0.9, 0.5, 0.9],
            ..d()
        },
        "twice",
    );
    bad(
        SummaryConfig {
            age_buckets: 0,
            ..d()
        },
        "age buckets",
    );
    bad(
        SummaryConfig {
            age_buckets: 256,
            ..d()
        },
        "age buckets",
    );
    bad(
        SummaryConfig {
            max_age: Duration::from_micros(999),
            age_buckets: 1,
            ..d()
        },
        "at least 1 ms",
    );
    bad(
        SummaryConfig {
            max_age: Duration::ZERO,
            ..d()
        },
        "at least 1 ms",
    );
    // Unsorted quantiles are sorted; none at all is fine.
    let s = Summary::with_config(SummaryConfig {
        quantiles: vec![0.99, 0.1],
        ..d()
    })
    .unwrap();
    assert_eq!(s.config().quantiles, vec![0.1, 0.99]);
    let s = Summary::with_config(SummaryConfig {
        quantiles: vec![],
        ..d()
    })
    .unwrap();
    s.record(5);
    assert!(s.snapshot().quantiles().is_empty());
    assert!(matches!(s.quantile(1.5), Err(Error::InvalidQuantile(_))));
    assert!(matches!(
        s.quantile(f64::NAN),
        Err(Error::InvalidQuantile(_))
    ));
}

#[test]
fn values_above_the_range_are_clamped_as_the_histograms_do() {
    let s = Summary::with_config(SummaryConfig {
        histogram: HistogramConfig::new(2, 1000).unwrap(),
        ..SummaryConfig::default()
    })
    .unwrap();
    s.record(5000);
    s.record_duration(Duration::from_nanos(10));
    assert_eq!(s.quantile(1.0).unwrap(), Some(1000));
    assert_eq!((s.count(), s.sum()), (2, 1010));
}

/// Recorders hammer a summary while a driver moves the clock through 100 slots of a 4-slot
/// window. Each records the slot it read just before recording; its record then lands in that
/// slot or a later one (or in the one before, when it reads the current word just before a
/// claimer publishes). At the end every record of the last three slots' values is in the window
/// exactly once, none is in it twice, and count and sum are exact.
#[test]
fn records_racing_rotations_are_each_in_exactly_one_slot_until_they_age_out() {
    const SLOTS: u64 = 100;
    const THREADS: usize = 4;
    let (s, clock) = manual(4);
    let s = Arc::new(s);
    let done = Arc::new(AtomicBool::new(false));
    let recorders: Vec<_> = (0..THREADS)
        .map(|_| {
            let (s, clock, done) = (s.clone(), clock.clone(), done.clone());
            std::thread::spawn(move || {
                let mut counts = vec![0u64; SLOTS as usize + 1];
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    let slot = clock.now_nanos() / 1_000_000_000;
                    s.record(slot);
                    counts[slot as usize] += 1;
                }
                counts
            })
        })
        .collect();
    for _ in 0..SLOTS {
        std::thread::sleep(Duration::from_micros(200));
        clock.advance(Duration::from_secs(1));
    }
    std::thread::sleep(Duration::from_micros(200));
    done.store(true, std::sync::atomic::Ordering::Release);
    let mut counts = vec![0u64; SLOTS as usize + 1];
    for r in recorders {
        for (total, n) in counts.iter_mut().zip(r.join().unwrap()) {
            *total += n;
        }
    }
    let total: u64 = counts.iter().sum();
    let sum: u64 = counts.iter().enumerate().map(|(v, n)| v as u64 * n).sum();
    assert_eq!((s.count(), s.sum()), (total, sum));
    let window = s.window();
    for (v, &n) in counts.iter().enumerate() {
        let held = window.counts()[v];
        assert!(held <= n, "value {v}: {held} in the window, {n} recorded");
        if v as u64 >= SLOTS - 2 {
            assert_eq!(held, n, "value {v} recorded in the window's last slots");
        }
    }
    assert!(window.count() <= total);
}

/// A foreign writer's record by the steps of `SummaryCellsLayout`: `Some(())` when it wrote the
/// current entry's cells, `None` when the slot is changing (the caller records through `record`).
fn foreign_record(s: &Summary, now: u64, v: u64) -> Option<()> {
    use std::sync::atomic::AtomicU64 as StdAtomic;
    let l = s.cells_layout();
    // SAFETY: the current cell is an aligned u64 that lives as long as `s`.
    let word = unsafe { &*s.current_cell().cast::<StdAtomic>() }.load(Ordering::Acquire);
    let (slot, index) = (word >> l.index_bits, word & ((1 << l.index_bits) - 1));
    if now.wrapping_sub(slot.wrapping_mul(l.slot_nanos)) >= l.slot_nanos {
        return None;
    }
    let (base, c) = s.entry_cells(index as usize)?;
    // SAFETY: every offset the layout gives is an aligned u64 cell of the allocation at `base`,
    // alive as long as `s`; the bucket index of v <= highest is below bucket_count.
    let cell = |off: usize| unsafe { &*base.cast::<u8>().add(off).cast::<StdAtomic>() };
    let v = v.min(c.highest);
    cell(c.min_offset).fetch_min(v, Ordering::AcqRel);
    cell(c.max_offset).fetch_max(v, Ordering::AcqRel);
    cell(c.sum_offset).fetch_add(v, Ordering::Relaxed);
    let m = c.sub_bits;
    let k = 63 - (v | ((1u64 << (m + 1)) - 1)).leading_zeros() - m;
    let bucket = ((u64::from(k) << m) + (v >> k)) as usize;
    assert!(bucket < c.bucket_count);
    cell(c.bucket_offset + 8 * bucket).fetch_add(1, Ordering::Release);
    Some(())
}

#[test]
fn the_cells_layout_lets_a_foreign_writer_record_as_record_does() {
    let (s, clock) = manual(3);
    let l = s.cells_layout();
    assert_eq!(
        (l.slot_nanos, l.entry_count, l.coarse_clock),
        (1_000_000_000, 5, false)
    );
    assert!(s.entry_cells(l.entry_count).is_none());
    assert_eq!(
        Summary::new().cells_layout().coarse_clock,
        cfg!(target_os = "linux")
    );
    // The same values through the cells (the library only at slot changes) and through record,
    // on clocks moved alike: the same count, sum and window.
    let (twin, twin_clock) = manual(3);
    let mut through_record = 0;
    for round in 0..10u64 {
        for v in 1..=100u64 {
            let v = v * 1_000 + round;
            if foreign_record(&s, clock.now_nanos(), v).is_none() {
                s.record(v);
                through_record += 1;
            }
            twin.record(v);
        }
        assert_eq!((s.count(), s.sum()), (twin.count(), twin.sum()));
        assert_eq!(s.window(), twin.window(), "round {round}");
        clock.advance(Duration::from_millis(700));
        twin_clock.advance(Duration::from_millis(700));
    }
    assert!(
        through_record > 0 && through_record < 20,
        "{through_record} slot changes"
    );
    assert!(s.window().count() < s.count());
}
