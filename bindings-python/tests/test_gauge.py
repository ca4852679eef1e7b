"""Gauge: a float set and adjusted without a lock."""

import math
import threading

import pytest
from atomicperf import Gauge


def test_starts_at_zero_or_the_given_value():
    assert Gauge().get() == 0.0
    assert Gauge(2.5).get() == 2.5
    assert Gauge(value=-1).get() == -1.0


def test_get_returns_a_float_even_from_an_int():
    g = Gauge(3)
    assert isinstance(g.get(), float)


def test_set_add_sub_inc_dec():
    g = Gauge()
    g.set(3.5)
    g.add(1.5)
    g.sub(2.0)
    g.inc()
    g.dec()
    g.dec()
    assert g.get() == 2.0
    assert g.value == 2.0


def test_add_accepts_negative_and_int():
    g = Gauge()
    g.add(-4)
    g.sub(-1)
    assert g.get() == -3.0


def test_set_max_only_raises_and_set_min_only_lowers():
    g = Gauge(5.0)
    g.set_max(3.0)
    assert g.get() == 5.0
    g.set_max(7.0)
    assert g.get() == 7.0
    g.set_min(9.0)
    assert g.get() == 7.0
    g.set_min(-1.0)
    assert g.get() == -1.0


def test_nan_argument_is_ignored_by_set_max_and_set_min():
    g = Gauge(1.0)
    g.set_max(math.nan)
    g.set_min(math.nan)
    assert g.get() == 1.0


def test_set_accepts_nan_and_infinities():
    g = Gauge()
    g.set(math.nan)
    assert math.isnan(g.get())
    g.set(math.inf)
    assert g.get() == math.inf


@pytest.mark.parametrize("method", ["set", "add", "sub", "set_max", "set_min"])
@pytest.mark.parametrize("bad", ["1.0", None, [1.0]])
def test_non_numbers_raise_type_error(method, bad):
    with pytest.raises(TypeError):
        getattr(Gauge(), method)(bad)


def test_constructor_rejects_non_numbers_with_type_error():
    with pytest.raises(TypeError):
        Gauge("1.0")  # type: ignore[arg-type]


def test_repr_shows_the_value_like_a_python_float():
    assert repr(Gauge()) == "Gauge(value=0.0)"
    assert repr(Gauge(1.5)) == "Gauge(value=1.5)"
    assert repr(Gauge(math.nan)) == "Gauge(value=nan)"
    assert repr(Gauge(-math.inf)) == "Gauge(value=-inf)"


def test_eight_threads_lose_no_adds():
    g = Gauge()
    threads_n, per_thread = 8, 10_000
    start = threading.Barrier(threads_n)

    def work():
        start.wait()
        for _ in range(per_thread):
            g.add(2.0)
            g.dec()

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert g.get() == float(threads_n * per_thread)


def test_many_gauges_each_hold_a_properly_aligned_cell():
    # The cell is 128-byte aligned; a debug build checks every access, so a misaligned one aborts.
    gauges = [Gauge(float(i)) for i in range(2000)]
    for i, g in enumerate(gauges):
        g.add(1.0)
        assert g.get() == i + 1.0
