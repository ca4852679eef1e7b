use super::*;
use proptest::prelude::*;

fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The cell at `offset` bytes from the histogram's cells, as a foreign writer finds it.
fn cell_at(h: &Histogram, offset: usize) -> &AtomicU64 {
    let l = h.cells_layout();
    assert!(
        offset % 8 == 0 && offset + 8 <= l.len,
        "offset {offset} outside the cells"
    );
    // SAFETY: within the allocation of `len` bytes at `cells_base` (checked above), 8-aligned:
    // an AtomicU64 of the histogram, alive as long as `h`.
    unsafe { &*h.cells_base().cast::<u8>().add(offset).cast::<AtomicU64>() }
}

#[test]
fn cells_layout_locates_what_records_write() {
    let h = Histogram::with_precision(3, 1_000_000).unwrap();
    let l = h.cells_layout();
    assert_eq!(
        (l.highest, l.sub_bits, l.significant_figures),
        (1_000_000, h.config().sub_bits(), 3)
    );
    assert_eq!(l.bucket_count, h.config().bucket_count());
    assert!(l.bucket_offset + 8 * l.bucket_count <= l.len);
    assert!(l.sum_count.is_power_of_two() && l.sum_stride % 8 == 0);
    assert_eq!(cell_at(&h, l.min_offset).load(Ordering::Relaxed), u64::MAX);
    h.record(700);
    h.record_n(2_000_000, 2);
    let v = |offset| cell_at(&h, offset).load(Ordering::Relaxed);
    assert_eq!((v(l.min_offset), v(l.max_offset)), (700, 1_000_000));
    assert_eq!(v(l.overflow_offset), 2);
    let sum: u64 = (0..l.sum_count)
        .map(|i| v(l.sum_offset + i * l.sum_stride))
        .sum();
    assert_eq!(sum, 2_000_700);
    assert_eq!(v(l.bucket_offset + 8 * h.config().index(700)), 1);
    assert_eq!(v(l.bucket_offset + 8 * (l.bucket_count - 1)), 2);
}

#[test]
fn a_writer_following_the_layout_records_as_record_n_does() {
    // The rules of HistogramCellsLayout, applied to the described cells from outside.
    let (foreign, own) = (
        Histogram::with_precision(2, 10_000).unwrap(),
        Histogram::with_precision(2, 10_000).unwrap(),
    );
    let l = foreign.cells_layout();
    let add_saturating = |offset, n: u64| {
        let c = cell_at(&foreign, offset);
        if c.fetch_add(n, Ordering::Release).checked_add(n).is_none() {
            c.store(u64::MAX, Ordering::Release);
        }
    };
    for (v, n) in [
        (5u64, 1u64),
        (9_000, 3),
        (20_000, 2),
        (0, 1),
        (77, u64::MAX),
    ] {
        let v = if v > l.highest {
            add_saturating(l.overflow_offset, n);
            l.highest
        } else {
            v
        };
        cell_at(&foreign, l.min_offset).fetch_min(v, Ordering::Relaxed);
        cell_at(&foreign, l.max_offset).fetch_max(v, Ordering::Relaxed);
        cell_at(&foreign, l.sum_offset).fetch_add(v.wrapping_mul(n), Ordering::Relaxed);
        add_saturating(l.bucket_offset + 8 * foreign.config().index(v), n);
    }
    for (v, n) in [
        (5u64, 1u64),
        (9_000, 3),
        (20_000, 2),
        (0, 1),
        (77, u64::MAX),
    ] {
        own.record_n(v, n);
    }
    assert_eq!(foreign.snapshot(), own.snapshot());
}

#[test]
fn empty_histogram_reports_none_not_sentinels() {
    let h = Histogram::new();
    assert_eq!(h.count(), 0);
    assert_eq!(h.sum(), 0);
    assert_eq!(h.min(), None);
    assert_eq!(h.max(), None);
    assert_eq!(h.mean(), None);
    assert_eq!(h.quantile(0.5), Ok(None));
}

#[test]
fn default_histogram_takes_at_most_16_kib() {
    let h = Histogram::new();
    assert!(h.memory_bytes() <= 16 * 1024, "{} bytes", h.memory_bytes());
}

#[test]
fn count_sum_min_max_mean_are_exact() {
    let h = Histogram::new();
    for v in [5u64, 1_000, 77_777, 3] {
        h.record(v);
    }
    h.record_n(10, 4);
    assert_eq!(h.count(), 8);
    assert_eq!(h.sum(), 5 + 1_000 + 77_777 + 3 + 40);
    assert_eq!(h.min(), Some(3));
    assert_eq!(h.max(), Some(77_777));
    assert_eq!(h.mean(), Some(78_825.0 / 8.0));
}

#[test]
fn record_n_with_zero_records_nothing() {
    let h = Histogram::new();
    h.record_n(42, 0);
    assert_eq!(h.count(), 0);
    assert_eq!(h.min(), None);
}

#[test]
fn zero_is_a_recordable_value() {
    let h = Histogram::new();
    h.record(0);
    assert_eq!(h.min(), Some(0));
    assert_eq!(h.quantile(1.0), Ok(Some(0)));
}

#[test]
fn values_above_range_are_clamped_and_counted_as_overflow() {
    let h = Histogram::with_precision(2, 1000).unwrap();
    h.record(5000);
    h.record_n(u64::MAX, 2);
    h.record(10);
    assert_eq!(h.count(), 4);
    assert_eq!(h.overflow_count(), 3);
    assert_eq!(h.max(), Some(1000));
    assert_eq!(h.sum(), 3 * 1000 + 10);
}

#[test]
fn quantile_rejects_values_outside_zero_one_and_nan() {
    let h = Histogram::new();
    h.record(1);
    for q in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(h.quantile(q), Err(Error::InvalidQuantile(_))),
            "{q}"
        );
    }
}

#[test]
fn quantile_zero_and_one_are_exact_min_and_max() {
    let h = Histogram::new();
    for v in [1_234_567u64, 999, 88_888_888] {
        h.record(v);
    }
    assert_eq!(h.quantile(0.0), Ok(Some(999)));
    assert_eq!(h.quantile(1.0), Ok(Some(88_888_888)));
}

#[test]
fn reset_empties_everything() {
    let h = Histogram::with_precision(2, 100).unwrap();
    h.record(50);
    h.record(500);
    h.reset();
    assert_eq!(
        (h.count(), h.sum(), h.min(), h.max(), h.overflow_count()),
        (0, 0, None, None, 0)
    );
    h.record(7);
    assert_eq!((h.min(), h.max()), (Some(7), Some(7)));
}

#[test]
fn merge_same_layout_adds_counts_and_keeps_extremes() {
    let a = Histogram::new();
    let b = Histogram::new();
    a.record(10);
    b.record(5);
    b.record(20_000);
    a.merge(&b);
    assert_eq!(
        (a.count(), a.sum(), a.min(), a.max()),
        (3, 20_015, Some(5), Some(20_000))
    );
    assert_eq!(b.count(), 2, "merge leaves the source alone");
}

#[test]
fn merge_across_layouts_rebuckets_and_clamps_to_the_target_range() {
    let wide = Histogram::with_precision(3, 1_000_000).unwrap();
    let narrow = Histogram::with_precision(1, 1000).unwrap();
    wide.record(100);
    wide.record(500_000);
    narrow.merge(&wide);
    assert_eq!(narrow.count(), 2);
    assert_eq!(narrow.overflow_count(), 1);
    assert_eq!(narrow.max(), Some(1000));
    assert_eq!(narrow.min(), Some(100));
}

#[test]
fn merge_into_a_narrower_range_counts_each_overflow_once() {
    let wide = Histogram::new();
    wide.record(70_000_000_000); // overflow in `wide` already
    let narrow = Histogram::with_precision(2, 1000).unwrap();
    narrow.merge(&wide);
    assert_eq!(narrow.overflow_count(), 1);
    assert_eq!(narrow.count(), 1);
}

#[test]
fn merged_value_equal_to_the_target_highest_is_not_overflow() {
    let wide = Histogram::new();
    wide.record(1000);
    let narrow = Histogram::with_precision(2, 1000).unwrap();
    narrow.merge(&wide);
    assert_eq!(narrow.overflow_count(), 0);
    assert_eq!(narrow.max(), Some(1000));
}

#[test]
fn merge_that_clamps_keeps_mean_within_min_and_max() {
    for v in [
        50_000_000_000u64,
        50_190_000_000,
        49_810_000_000,
        1_001,
        1_500,
    ] {
        let wide = Histogram::new();
        wide.record(v);
        let narrow = Histogram::with_precision(2, 1000).unwrap();
        narrow.merge(&wide);
        let mean = narrow.mean().unwrap();
        assert!(
            mean <= 1000.0,
            "value {v}: mean {mean} above the clamped max"
        );
    }
}

#[test]
fn overflow_of_a_narrower_source_is_carried_into_a_wider_target() {
    let narrow = Histogram::with_precision(2, 1000).unwrap();
    narrow.record(5000);
    let wide = Histogram::new();
    wide.merge(&narrow);
    assert_eq!(wide.overflow_count(), 1);
    assert_eq!(wide.max(), Some(1000));
}

#[test]
fn from_snapshot_is_an_independent_copy() {
    let h = Histogram::new();
    h.record(3);
    let copy = Histogram::from_snapshot(&h.snapshot());
    h.record(4);
    assert_eq!(copy.count(), 1);
    assert_eq!(
        copy.snapshot().counts(),
        Histogram::from_snapshot(&copy.snapshot())
            .snapshot()
            .counts()
    );
}

#[test]
fn eight_threads_lose_no_records() {
    let h = std::sync::Arc::new(Histogram::new());
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let h = h.clone();
            std::thread::spawn(move || {
                for i in 0..20_000u64 {
                    h.record(t * 1_000 + i % 1_000);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let expected_sum: u64 = (0..8u64)
        .map(|t| 20 * (0..1000u64).map(|i| t * 1000 + i).sum::<u64>())
        .sum();
    assert_eq!(h.count(), 160_000);
    assert_eq!(h.sum(), expected_sum);
    assert_eq!(h.min(), Some(0));
    assert_eq!(h.max(), Some(7_999));
}

#[test]
fn counts_saturate_at_u64_max_instead_of_wrapping() {
    let h = Histogram::new();
    h.record_n(1000, u64::MAX - 1);
    h.record(1000);
    h.record(1000); // would wrap the bucket to 0
    assert_eq!(h.count(), u64::MAX);
    assert_eq!((h.min(), h.max()), (Some(1000), Some(1000)));
    assert_eq!(h.quantile(0.5).unwrap(), Some(1000));
    // A second bucket: the total saturates too, and quantiles still find both values.
    h.record_n(2000, u64::MAX);
    assert_eq!(h.count(), u64::MAX);
    assert_eq!(h.max(), Some(2000));
    assert_eq!(h.quantile(1.0).unwrap(), Some(2000));
    assert!(h.quantile(0.5).unwrap().is_some());
    h.reset();
    assert_eq!((h.count(), h.min()), (0, None));
}

#[test]
fn overflow_count_and_merged_counts_saturate() {
    let h = Histogram::with_precision(2, 1000).unwrap();
    h.record_n(5000, u64::MAX);
    h.record(5000);
    assert_eq!((h.overflow_count(), h.count()), (u64::MAX, u64::MAX));
    let target = Histogram::with_precision(2, 1000).unwrap();
    target.merge(&h);
    target.merge(&h);
    assert_eq!(
        (target.overflow_count(), target.count()),
        (u64::MAX, u64::MAX)
    );
    let many = Histogram::new();
    many.record_n(7, u64::MAX);
    many.record_many(&[7, 7, 7]);
    assert_eq!(many.count(), u64::MAX);
}

#[test]
fn mean_and_sum_f64_undo_a_wrap_of_the_sum() {
    let h = Histogram::with_precision(3, u64::MAX).unwrap();
    let v = 1u64 << 62;
    h.record_n(v, 10); // the u64 sum wraps twice
    let true_sum = 10.0 * v as f64;
    assert_ne!(h.sum() as f64, true_sum);
    let s = h.snapshot();
    assert_eq!(s.sum_f64(), true_sum);
    assert_eq!(h.mean(), Some(v as f64));
    // Without a wrap the sum is returned as it is.
    let small = Histogram::new();
    small.record_n(1_000, 3);
    assert_eq!(small.snapshot().sum_f64(), 3_000.0);
}

#[test]
fn record_many_of_nothing_changes_nothing() {
    let h = Histogram::new();
    h.record_many(&[]);
    assert_eq!((h.count(), h.min()), (0, None));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn quantiles_are_within_the_configured_relative_error(
        sigfigs in 1u8..=4,
        values in proptest::collection::vec(0u64..=1_000_000_000, 1..400),
        qs in proptest::collection::vec(0.0f64..=1.0, 1..10),
    ) {
        let h = Histogram::with_precision(sigfigs, 1_000_000_000).unwrap();
        for &v in &values {
            h.record(v);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let bound = 10f64.powi(-i32::from(sigfigs));
        for q in qs.into_iter().chain([0.0, 0.5, 0.99, 1.0]) {
            let exact = exact_quantile(&sorted, q) as f64;
            let got = h.quantile(q).unwrap().unwrap() as f64;
            prop_assert!((got - exact).abs() <= exact * bound, "q={} exact={} got={}", q, exact, got);
        }
        prop_assert_eq!(h.count(), values.len() as u64);
        prop_assert_eq!(h.sum(), values.iter().sum::<u64>());
        prop_assert_eq!(h.min(), sorted.first().copied());
        prop_assert_eq!(h.max(), sorted.last().copied());
    }

    #[test]
    fn record_many_equals_recording_one_by_one(
        values in proptest::collection::vec(0u64..=2_000, 0..200),
    ) {
        let (batch, single) = (Histogram::with_precision(2, 1_000).unwrap(), Histogram::with_precision(2, 1_000).unwrap());
        batch.record_many(&values);
        values.iter().for_each(|&v| single.record(v));
        prop_assert_eq!(batch.snapshot(), single.snapshot());
    }

    #[test]
    fn merge_equals_recording_everything_in_one(
        a in proptest::collection::vec(0u64..=60_000_000_000, 0..100),
        b in proptest::collection::vec(0u64..=60_000_000_000, 0..100),
    ) {
        let (ha, hb, all) = (Histogram::new(), Histogram::new(), Histogram::new());
        a.iter().for_each(|&v| { ha.record(v); all.record(v) });
        b.iter().for_each(|&v| { hb.record(v); all.record(v) });
        ha.merge(&hb);
        prop_assert_eq!(ha.snapshot(), all.snapshot());
    }
}
