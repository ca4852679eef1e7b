"""Timer: count, errors, total, extremes and a duration histogram, with scoped timing."""

import asyncio
import datetime
import math
import threading

import pytest
from atomicperf import Timer, TimerSnapshot


def test_empty_timer_reports_zeros_and_none():
    t = Timer()
    assert (t.count(), t.errors(), t.total()) == (0, 0, 0)
    assert (t.min(), t.max(), t.mean(), t.quantile(0.5)) == (None, None, None, None)


def test_record_counts_executions_errors_and_nanoseconds():
    t = Timer()
    t.record(100)
    t.record(300, ok=False)
    assert (t.count(), t.errors(), t.total()) == (2, 1, 400)
    assert (t.min(), t.max(), t.mean()) == (100, 300, 200.0)


def test_ok_is_positional_too():
    t = Timer()
    t.record(5, False)
    assert t.errors() == 1


def test_an_int_is_nanoseconds_a_float_is_seconds_a_timedelta_is_itself():
    t = Timer()
    t.record(1_500)
    t.record(0.25)
    t.record(datetime.timedelta(milliseconds=3, microseconds=7))
    assert t.min() == 1_500
    assert t.max() == 250_000_000
    assert t.total() == 1_500 + 250_000_000 + 3_007_000


def test_float_seconds_round_to_the_nearest_nanosecond():
    t = Timer()
    t.record(1.0000000004)
    t.record(0.0000000006)
    assert (t.min(), t.max()) == (1, 1_000_000_000)


def test_zero_durations_are_recordable():
    t = Timer()
    t.record(0)
    t.record(0.0)
    t.record(datetime.timedelta(0))
    assert (t.count(), t.total(), t.max()) == (3, 0, 0)


@pytest.mark.parametrize(
    "bad",
    [-1, -0.5, datetime.timedelta(microseconds=-1), math.nan, math.inf, 2**64, 1e12],
)
def test_negative_nan_or_too_long_durations_raise_value_error(bad):
    t = Timer()
    with pytest.raises(ValueError, match="duration must be a duration from 0 to 2\\*\\*64 - 1 ns"):
        t.record(bad)
    assert t.count() == 0


@pytest.mark.parametrize("bad", ["1", None, True, [1]])
def test_other_duration_types_raise_type_error(bad):
    with pytest.raises(
        TypeError,
        match="duration must be an int of nanoseconds, a float of seconds or a datetime.timedelta",
    ):
        Timer().record(bad)  # type: ignore[arg-type]


def test_ok_must_be_a_bool():
    with pytest.raises(TypeError):
        Timer().record(1, ok="yes")  # type: ignore[arg-type]


def test_quantiles_are_within_the_histogram_precision():
    t = Timer()
    for v in range(1, 1001):
        t.record(v * 1_000)
    assert t.quantile(0.0) == 1_000
    assert t.quantile(1.0) == 1_000_000
    assert abs(t.quantile(0.5) - 500_000) <= 500_000 / 128


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan])
def test_bad_quantile_raises_value_error(bad):
    with pytest.raises(ValueError, match="quantile must be within \\[0, 1\\]"):
        Timer().quantile(bad)


def test_snapshot_holds_every_statistic_from_one_moment():
    t = Timer()
    t.record(100)
    t.record(300, ok=False)
    s = t.snapshot()
    assert isinstance(s, TimerSnapshot)
    t.record(10_000)  # later records do not change the snapshot
    assert (s.count, s.errors, s.total, s.min, s.max, s.mean) == (2, 1, 400, 100, 300, 200.0)
    assert s.error_ratio == 0.5
    assert s.p50 == s.quantile(0.5) == 100
    assert s.p90 == s.p99 == s.p999 == 300
    assert s.to_dict() == {
        "count": 2,
        "errors": 1,
        "total": 400,
        "min": 100,
        "max": 300,
        "mean": 200.0,
        "error_ratio": 0.5,
        "p50": 100,
        "p90": 300,
        "p99": 300,
        "p999": 300,
    }
    with pytest.raises(ValueError):
        s.quantile(2.0)


def test_empty_snapshot_has_none_extremes_and_zero_error_ratio():
    s = Timer().snapshot()
    assert (s.count, s.min, s.max, s.mean, s.p50, s.p999) == (0, None, None, None, None, None)
    assert s.error_ratio == 0.0


def test_snapshot_is_immutable():
    s = Timer().snapshot()
    with pytest.raises(AttributeError):
        s.count = 3  # type: ignore[misc]


def test_reset_forgets_everything():
    t = Timer()
    t.record(5, ok=False)
    t.reset()
    assert (t.count(), t.errors(), t.total(), t.max()) == (0, 0, 0, None)


def test_layout_arguments_and_errors():
    t = Timer(significant_figures=3, highest=1_000)
    assert (t.significant_figures, t.highest) == (3, 1_000)
    t.record(5_000)
    assert t.max() == 1_000  # clamped
    assert Timer().significant_figures == 2
    assert Timer().highest == 60_000_000_000
    with pytest.raises(ValueError, match="precision must be 1 to 5 significant figures, got 6"):
        Timer(significant_figures=6)
    with pytest.raises(ValueError, match="highest trackable value must be at least 2, got 1"):
        Timer(highest=1)
    with pytest.raises(TypeError, match="highest must be an int, not float"):
        Timer(highest=1e9)  # type: ignore[arg-type]


def test_with_time_records_the_block_as_a_success():
    t = Timer()
    with t.time() as timing:
        pass
    assert (t.count(), t.errors()) == (1, 0)
    assert timing.elapsed == t.total()


def test_with_time_records_a_raising_block_as_an_error_and_lets_the_exception_through():
    t = Timer()
    with pytest.raises(KeyError):
        with t.time():
            raise KeyError("missing")
    assert (t.count(), t.errors()) == (1, 1)


def test_timed_decorator_records_every_call_and_keeps_the_function_metadata():
    t = Timer()

    @t.timed
    def double(x):
        """Doubles x."""
        return 2 * x

    assert double(21) == 42
    assert double(1) == 2
    assert (double.__name__, double.__doc__) == ("double", "Doubles x.")
    assert (t.count(), t.errors()) == (2, 0)


def test_time_is_a_decorator_too_and_counts_raised_calls_as_errors():
    t = Timer()

    @t.time()
    def fail():
        raise ValueError("nope")

    for _ in range(3):
        with pytest.raises(ValueError):
            fail()
    assert (t.count(), t.errors()) == (3, 3)


def test_timed_coroutine_functions_are_timed_until_their_result():
    t = Timer()

    @t.timed
    async def answer():
        await asyncio.sleep(0)
        return 42

    assert asyncio.run(answer()) == 42
    assert (t.count(), t.errors()) == (1, 0)


def test_decorating_a_non_callable_raises_type_error():
    with pytest.raises(TypeError, match="decorates a callable, not int"):
        Timer().timed(3)  # type: ignore[arg-type]


def test_repr_shows_the_state():
    t = Timer()
    assert repr(t) == "Timer(count=0, errors=0, total=0, min=None, max=None)"
    t.record(10, ok=False)
    assert repr(t) == "Timer(count=1, errors=1, total=10, min=10, max=10)"
    assert repr(t.snapshot()).startswith("TimerSnapshot(count=1, errors=1, total=10, min=10")


def test_eight_threads_count_every_call():
    t = Timer()
    threads_n, per_thread = 8, 5_000
    start = threading.Barrier(threads_n)

    @t.timed
    def handler():
        pass

    def work(n):
        start.wait()
        for i in range(per_thread):
            if i % 2:
                t.record(n * per_thread + i, ok=(i % 10 != 1))
            else:
                handler()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert t.count() == threads_n * per_thread
    assert t.errors() == threads_n * (per_thread // 10)
