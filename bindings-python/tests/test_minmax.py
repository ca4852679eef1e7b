"""MinMax: lock-free running extremes of non-negative ints."""

import threading

import pytest
from atomicperf import MinMax


def test_empty_minmax_reports_none_not_sentinels():
    m = MinMax()
    assert m.min() is None
    assert m.max() is None


def test_record_keeps_the_smallest_and_largest_value():
    m = MinMax()
    for v in (30, 10, 20):
        m.record(v)
    assert (m.min(), m.max()) == (10, 30)


def test_zero_and_the_largest_u64_are_recordable():
    m = MinMax()
    m.record(0)
    m.record(2**64 - 1)
    assert (m.min(), m.max()) == (0, 2**64 - 1)


def test_one_value_is_both_extremes():
    m = MinMax()
    m.record(7)
    assert (m.min(), m.max()) == (7, 7)


def test_reset_forgets_every_value():
    m = MinMax()
    m.record(5)
    m.reset()
    assert (m.min(), m.max()) == (None, None)
    m.record(9)
    assert (m.min(), m.max()) == (9, 9)


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_out_of_range_values_raise_value_error(bad):
    with pytest.raises(
        ValueError, match="record\\(\\) value must be an int from 0 to 2\\*\\*64 - 1"
    ):
        MinMax().record(bad)


@pytest.mark.parametrize("bad", [1.5, "3", None])
def test_non_int_values_raise_type_error(bad):
    with pytest.raises(TypeError, match="record\\(\\) value must be an int"):
        MinMax().record(bad)  # type: ignore[arg-type]


def test_repr_shows_the_extremes():
    m = MinMax()
    assert repr(m) == "MinMax(min=None, max=None)"
    m.record(4)
    m.record(2)
    assert repr(m) == "MinMax(min=2, max=4)"


def test_eight_threads_leave_the_exact_extremes():
    m = MinMax()
    threads_n, per_thread = 8, 5_000
    start = threading.Barrier(threads_n)

    def work(t):
        start.wait()
        # Interleaved ranges: every thread sees new extremes while the others do too.
        for i in range(per_thread):
            m.record(1_000 + i * threads_n + t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.min() == 1_000
    assert m.max() == 1_000 + (per_thread - 1) * threads_n + threads_n - 1
