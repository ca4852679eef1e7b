"""Histogram: a lock-free log-linear histogram of non-negative ints."""

import math
import random
import threading

import pytest
from atomicperf import Histogram


def test_empty_histogram_reports_none_not_sentinels():
    h = Histogram()
    assert h.count() == 0
    assert h.sum() == 0
    assert h.min() is None
    assert h.max() is None
    assert h.mean() is None
    assert h.quantile(0.5) is None
    assert h.overflow_count() == 0


def test_default_layout_is_two_figures_up_to_60_s_in_ns():
    h = Histogram()
    assert h.significant_figures == 2
    assert h.highest == 60_000_000_000
    assert h.relative_error == pytest.approx(1 / 128)
    assert 15_000 < h.memory_bytes() <= 16 * 1024 + 256


def test_count_sum_min_max_mean_are_exact():
    h = Histogram()
    for v in (10, 20, 30):
        h.record(v)
    assert (h.count(), h.sum(), h.min(), h.max()) == (3, 60, 10, 30)
    assert h.mean() == 20.0


def test_record_n_records_a_value_n_times_and_zero_times_is_nothing():
    h = Histogram()
    h.record_n(1000, 5)
    h.record_n(7, 0)
    assert (h.count(), h.sum(), h.min(), h.max()) == (5, 5000, 1000, 1000)


def test_zero_is_a_recordable_value():
    h = Histogram()
    h.record(0)
    assert (h.count(), h.min(), h.max()) == (1, 0, 0)


def test_values_above_the_range_are_clamped_and_counted_as_overflow():
    h = Histogram(highest=1000)
    h.record(5000)
    h.record(2**64 - 1)
    assert h.count() == 2
    assert h.max() == 1000
    assert h.overflow_count() == 2


def test_quantiles_are_within_the_relative_error():
    rng = random.Random(7)
    values = sorted(rng.randrange(1, 10**9) for _ in range(5000))
    h = Histogram()
    for v in values:
        h.record(v)
    assert h.quantile(0.0) == values[0]
    assert h.quantile(1.0) == values[-1]
    for q in (0.01, 0.25, 0.5, 0.9, 0.99, 0.999):
        exact = values[max(1, math.ceil(q * len(values))) - 1]
        assert abs(h.quantile(q) - exact) <= exact * h.relative_error


def test_quantile_accepts_ints_zero_and_one():
    h = Histogram()
    h.record(5)
    assert h.quantile(0) == 5
    assert h.quantile(1) == 5


@pytest.mark.parametrize("q", [-0.01, 1.01, math.nan, math.inf])
def test_quantile_outside_zero_one_raises_value_error(q):
    h = Histogram()
    h.record(1)
    with pytest.raises(ValueError, match=r"quantile must be within \[0, 1\]"):
        h.quantile(q)


def test_quantile_outside_zero_one_raises_even_when_empty():
    with pytest.raises(ValueError):
        Histogram().quantile(2.0)


def test_quantile_non_number_raises_type_error():
    with pytest.raises(TypeError):
        Histogram().quantile("0.5")  # type: ignore[arg-type]


def test_negative_values_raise_value_error_and_record_nothing():
    h = Histogram()
    with pytest.raises(
        ValueError, match=r"record\(\) value must be an int from 0 to 2\*\*64 - 1, got -5"
    ):
        h.record(-5)
    with pytest.raises(ValueError, match=r"record_n\(\) value must be"):
        h.record_n(-1, 2)
    with pytest.raises(ValueError, match=r"record_n\(\) count must be"):
        h.record_n(1, -2)
    with pytest.raises(ValueError):
        h.record(2**64)
    assert h.count() == 0


@pytest.mark.parametrize("bad", [1.5, "1", None])
def test_non_int_values_raise_type_error(bad):
    h = Histogram()
    with pytest.raises(TypeError, match=r"record\(\) value must be an int, not "):
        h.record(bad)
    with pytest.raises(TypeError, match=r"record_n\(\) value must be an int"):
        h.record_n(bad, 1)
    with pytest.raises(TypeError, match=r"record_n\(\) count must be an int"):
        h.record_n(1, bad)


@pytest.mark.parametrize("figures", [0, 6, 255, 256, 10**30, -1])
def test_bad_precision_raises_value_error(figures):
    with pytest.raises(ValueError, match="precision must be 1 to 5 significant figures"):
        Histogram(significant_figures=figures)


@pytest.mark.parametrize("highest", [0, 1])
def test_too_small_highest_raises_value_error(highest):
    with pytest.raises(ValueError, match="highest trackable value must be at least 2"):
        Histogram(highest=highest)


def test_negative_highest_raises_value_error():
    with pytest.raises(ValueError, match="highest must be an int"):
        Histogram(highest=-1)


def test_non_int_constructor_arguments_raise_type_error():
    with pytest.raises(TypeError, match="significant_figures must be an int, not float"):
        Histogram(significant_figures=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="highest must be an int, not str"):
        Histogram(2, "1000")  # type: ignore[arg-type]


def test_every_precision_from_one_to_five_builds():
    for figures in range(1, 6):
        h = Histogram(figures, 10**6)
        assert h.significant_figures == figures
        h.record(123_456)
        assert abs(h.quantile(0.5) - 123_456) <= 123_456 * h.relative_error


def test_reset_empties_everything():
    h = Histogram(highest=100)
    h.record(5)
    h.record(500)
    h.reset()
    assert (h.count(), h.sum(), h.min(), h.max(), h.overflow_count()) == (0, 0, None, None, 0)
    h.record(7)
    assert (h.min(), h.max()) == (7, 7)


def test_snapshot_is_an_independent_copy():
    h = Histogram(3, 10**6)
    for v in (1, 2, 3):
        h.record(v)
    s = h.snapshot()
    assert isinstance(s, Histogram)
    assert s is not h
    assert (s.count(), s.sum(), s.min(), s.max()) == (3, 6, 1, 3)
    assert (s.significant_figures, s.highest) == (3, 10**6)
    h.record(100)
    s.record(0)
    assert (h.count(), h.min(), h.max()) == (4, 1, 100)
    assert (s.count(), s.min(), s.max()) == (4, 0, 3)
    h.reset()
    assert s.count() == 4


def test_snapshot_keeps_overflow_count():
    h = Histogram(highest=10)
    h.record(11)
    assert h.snapshot().overflow_count() == 1


def test_merge_adds_counts_and_keeps_exact_extremes():
    a, b = Histogram(), Histogram()
    for v in (10, 20):
        a.record(v)
    for v in (5, 50, 60):
        b.record(v)
    a.merge(b)
    assert (a.count(), a.sum(), a.min(), a.max()) == (5, 145, 5, 60)
    assert (b.count(), b.sum()) == (3, 115)


def test_merge_empty_changes_nothing():
    a = Histogram()
    a.record(3)
    a.merge(Histogram())
    assert (a.count(), a.min(), a.max()) == (1, 3, 3)


def test_merge_with_itself_doubles():
    h = Histogram()
    h.record(4)
    h.merge(h)
    assert (h.count(), h.sum()) == (2, 8)


def test_merge_across_layouts_clamps_to_the_target_range():
    small = Histogram(2, 1000)
    big = Histogram(2, 10**6)
    big.record(500)
    big.record(50_000)
    small.merge(big)
    assert small.count() == 2
    assert small.max() == 1000
    assert small.overflow_count() == 1


def test_merge_rejects_non_histograms_with_type_error():
    with pytest.raises(TypeError):
        Histogram().merge(3)  # type: ignore[arg-type]


def test_repr_shows_count_sum_extremes_and_layout():
    h = Histogram()
    assert repr(h) == (
        "Histogram(count=0, sum=0, min=None, max=None, significant_figures=2, highest=60000000000)"
    )
    h.record(10)
    h.record(30)
    assert repr(h) == (
        "Histogram(count=2, sum=40, min=10, max=30, significant_figures=2, highest=60000000000)"
    )


def test_eight_threads_lose_no_records():
    h = Histogram()
    threads_n, per_thread = 8, 10_000
    start = threading.Barrier(threads_n)

    def work(t):
        start.wait()
        # Thread t records t*per_thread+1 ..= (t+1)*per_thread: all values 1..=80_000 once.
        base = t * per_thread
        for i in range(1, per_thread + 1):
            h.record(base + i)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = threads_n * per_thread
    assert h.count() == n
    assert h.sum() == n * (n + 1) // 2
    assert h.min() == 1
    assert h.max() == n
    assert abs(h.quantile(0.5) - n / 2) <= n / 2 * h.relative_error


def test_counts_saturate_instead_of_wrapping():
    h = Histogram()
    h.record_n(1000, 2**64 - 1)
    h.record(1000)
    assert h.count() == 2**64 - 1
    assert h.min() == 1000 and h.max() == 1000
    assert h.quantile(0.5) == 1000
