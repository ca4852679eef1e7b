"""AsyncRecorder: a bounded queue in front of a metric, applied by worker threads.

No test asserts a timing. The GIL tests use a switch interval of 100 s, so that the interpreter
never takes the GIL from a running thread: another thread can then run Python code only while
the caller is inside a call that releases the GIL itself.
"""

import contextlib
import datetime
import os
import sys
import threading

import pytest
from atomicperf import (
    AsyncRecorder,
    ClosedError,
    Counter,
    Gauge,
    Histogram,
    MinMax,
    Timer,
)

WAIT = 60.0  # generous flush timeout: a bound against hangs, never a measured time


def test_defaults():
    with AsyncRecorder(Counter()) as r:
        assert (r.capacity, r.workers, r.batch, r.overflow) == (65536, 1, 256, "drop")
        assert (r.enqueued, r.applied, r.dropped, r.closed) == (0, 0, 0, False)


def test_counter_records_are_amounts_to_add():
    c = Counter()
    with AsyncRecorder(c) as r:
        assert r.record(5) is True
        assert r.record(7) is True
        assert r.flush(WAIT) is True
        assert c.get() == 12
        assert (r.enqueued, r.applied, r.dropped) == (2, 2, 0)
    assert r.metric is c


def test_histogram_and_minmax_records_are_values():
    h, m = Histogram(), MinMax()
    with AsyncRecorder(h, workers=2) as rh, AsyncRecorder(m) as rm:
        for v in (10, 20, 30):
            rh.record(v)
            rm.record(v)
    assert (h.count(), h.sum(), h.min(), h.max()) == (3, 60, 10, 30)
    assert (m.min(), m.max()) == (10, 30)


def test_timer_records_are_durations_with_ok():
    t = Timer()
    with AsyncRecorder(t) as r:
        r.record(1_500)
        r.record(0.000002, ok=False)
        r.record(datetime.timedelta(microseconds=3), ok=True)
    assert (t.count(), t.errors(), t.total()) == (3, 1, 1_500 + 2_000 + 3_000)


def test_gauge_takes_set_add_set_max_and_set_min_in_queue_order():
    g = Gauge()
    with AsyncRecorder(g, overflow="block") as r:
        assert r.set(10.0) is True
        assert r.add(5) is True
        assert r.set_max(12.0) is True
        assert r.set_min(-1.0, timeout=1.0) is True
    assert g.get() == -1.0


def test_gauge_recorder_refuses_record_with_type_error():
    with AsyncRecorder(Gauge()) as r:
        with pytest.raises(
            TypeError, match="it takes set\\(\\), add\\(\\), set_max\\(\\) or set_min\\(\\)"
        ):
            r.record(1)
        assert r.enqueued == 0


@pytest.mark.parametrize("metric", [Counter, Histogram, MinMax, Timer])
def test_non_gauge_recorders_refuse_gauge_methods_with_type_error(metric):
    with AsyncRecorder(metric()) as r:
        for method in (r.set, r.add, r.set_max, r.set_min):
            with pytest.raises(TypeError, match="does not apply to an AsyncRecorder in front of a"):
                method(1.0)
        assert r.enqueued == 0


@pytest.mark.parametrize("metric", [Counter, Histogram, MinMax])
def test_ok_is_only_for_a_timer(metric):
    with AsyncRecorder(metric()) as r:
        with pytest.raises(TypeError, match="ok= is for a Timer"):
            r.record(1, ok=False)


def test_bad_values_raise_like_the_metric_itself():
    with AsyncRecorder(Counter()) as rc, AsyncRecorder(Timer()) as rt:
        with pytest.raises(ValueError, match="must be an int from 0 to 2\\*\\*64 - 1"):
            rc.record(-1)
        with pytest.raises(TypeError, match="record\\(\\) value must be an int, not float"):
            rc.record(1.5)
        with pytest.raises(ValueError, match="duration must be a duration from 0"):
            rt.record(-0.1)
        with pytest.raises(TypeError, match="duration must be an int of nanoseconds"):
            rt.record("1")
        assert rc.enqueued == rt.enqueued == 0


def test_metric_must_be_one_of_the_five_classes():
    with pytest.raises(
        TypeError, match="takes a Counter, Gauge, Histogram, Timer or MinMax, not int"
    ):
        AsyncRecorder(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["capacity", "workers", "batch"])
def test_zero_sizes_raise_value_error(name):
    # Core's message names the argument and the accepted range.
    with pytest.raises(ValueError, match=f"invalid configuration: async recorder {name} must be"):
        AsyncRecorder(Counter(), **{name: 0})


@pytest.mark.parametrize("name", ["capacity", "workers"])
def test_sizes_beyond_the_cores_bounds_raise_value_error(name):
    with pytest.raises(ValueError, match=f"invalid configuration: async recorder {name} must be"):
        AsyncRecorder(Counter(), **{name: 2**40})


def test_bad_size_types_and_values():
    with pytest.raises(ValueError, match="capacity must be an int from 0 to 2\\*\\*64 - 1"):
        AsyncRecorder(Counter(), capacity=-1)
    with pytest.raises(TypeError, match="workers must be an int, not float"):
        AsyncRecorder(Counter(), workers=1.0)  # type: ignore[arg-type]


def test_overflow_must_be_drop_or_block():
    with pytest.raises(ValueError, match='overflow must be "drop" or "block", got "lifo"'):
        AsyncRecorder(Counter(), overflow="lifo")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='overflow must be "drop" or "block", not int'):
        AsyncRecorder(Counter(), overflow=1)  # type: ignore[arg-type]


def test_record_after_close_raises_closed_error_a_runtime_error():
    c = Counter()
    r = AsyncRecorder(c)
    r.record(5)
    r.close()
    r.close()  # idempotent
    assert r.closed
    assert c.get() == 5, "close applied what was queued"
    with pytest.raises(ClosedError, match="the AsyncRecorder is closed"):
        r.record(1)
    with pytest.raises(RuntimeError):
        r.record(1, timeout=0.1)
    g = AsyncRecorder(Gauge(), overflow="block")
    g.close()
    with pytest.raises(ClosedError):
        g.set(1.0)
    assert r.flush(WAIT) is True  # nothing left to wait for


def test_context_manager_closes_even_when_the_block_raises():
    c = Counter()
    with pytest.raises(KeyError):
        with AsyncRecorder(c) as r:
            r.record(3)
            raise KeyError("boom")
    assert r.closed and c.get() == 3


def test_bad_timeouts():
    with AsyncRecorder(Counter()) as r:
        with pytest.raises(
            ValueError, match="timeout must be a number of seconds \\(or a timedelta\\) not below 0"
        ):
            r.flush(-1)
        with pytest.raises(ValueError, match="timeout must be a number of seconds"):
            r.record(1, timeout=float("nan"))
        with pytest.raises(
            TypeError, match="timeout must be a number of seconds or a datetime.timedelta, not str"
        ):
            r.flush("1")  # type: ignore[arg-type]
        assert r.flush(datetime.timedelta(seconds=WAIT)) is True
        assert r.flush(1e300) is True  # longer than any wait: clamped, not an overflow
        assert r.flush(None) is True


def test_repr_shows_the_state():
    with AsyncRecorder(Counter(), capacity=8, overflow="block") as r:
        r.record(2)
        r.flush(WAIT)
        assert repr(r) == (
            "AsyncRecorder(metric=Counter(value=2), overflow='block', capacity=8, workers=1, "
            "enqueued=1, applied=1, dropped=0, closed=False)"
        )
    assert repr(r).endswith("closed=True)")


def run_threads(n, target):
    start = threading.Barrier(n)

    def body(i):
        start.wait()
        target(i)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_drop_mode_under_pressure_conserves_enqueued_applied_and_dropped():
    t = Timer()
    r = AsyncRecorder(t, capacity=4, batch=2, overflow="drop")
    results = [[] for _ in range(8)]

    def work(i):
        results[i] = [r.record(n, ok=(n % 10 != 0)) for n in range(2_000)]

    run_threads(8, work)
    assert r.flush(WAIT) is True
    queued = sum(x for rs in results for x in rs)
    assert r.enqueued == 16_000
    assert r.applied + r.dropped == r.enqueued
    assert r.applied == queued == t.count()
    assert r.dropped == 16_000 - queued
    r.close()


def test_block_mode_under_pressure_drops_nothing():
    m = MinMax()
    r = AsyncRecorder(m, capacity=2, workers=2, overflow="block")

    def work(i):
        for n in range(2_000):
            assert r.record(i * 2_000 + n) is True

    run_threads(8, work)
    r.close()
    assert (r.enqueued, r.applied, r.dropped) == (16_000, 16_000, 0)
    assert (m.min(), m.max()) == (0, 15_999)


def test_record_with_timeout_queues_when_there_is_room():
    c = Counter()
    with AsyncRecorder(c, capacity=1, overflow="drop") as r:
        for _ in range(100):
            assert r.record(1, timeout=WAIT) is True  # waits for room instead of dropping
    assert (c.get(), r.dropped) == (100, 0)


@contextlib.contextmanager
def switches_only_on_release():
    """While active, the interpreter never preempts a thread (a 100 s switch interval): another
    Python thread can run only when the running one releases the GIL itself. The calling thread
    is also pinned to one CPU, and the threads it starts (recorder workers included) inherit the
    pin: a thread that waits then hands the CPU, not just the GIL, to the others."""
    saved_interval = sys.getswitchinterval()
    pin = hasattr(os, "sched_setaffinity")
    if pin:
        saved_cpus = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(saved_cpus)})
    sys.setswitchinterval(100.0)
    try:
        yield
    finally:
        sys.setswitchinterval(saved_interval)
        if pin:
            os.sched_setaffinity(0, saved_cpus)


def other_thread_runs_during(make_recorder, call, rounds=100_000):
    """Starts a thread that appends to a list, then makes `call(recorder)` up to `rounds` times,
    checking the list between calls with no GIL release of its own. True if the thread ran,
    which it can only do while `call` has released the GIL."""
    ran = []
    go = threading.Event()

    def other():
        go.wait()
        ran.append(True)

    with switches_only_on_release():
        recorder = make_recorder()
        t = threading.Thread(target=other)
        t.start()  # returns once `other` waits on `go`, with the GIL released
        go.set()  # `other` wakes and queues for the GIL, which only `call` can release
        for _ in range(rounds):
            call(recorder)
            if ran:
                break
        result = bool(ran)
    t.join()
    recorder.close()
    return result


def record_then_flush(r):
    # One event per flush: on one CPU the worker has not applied it yet, so flush has to wait.
    r.record(1)
    assert r.flush(WAIT)


def test_flush_releases_the_gil():
    assert other_thread_runs_during(lambda: AsyncRecorder(Counter()), record_then_flush)


def test_close_releases_the_gil():
    # Each round closes a recorder with events still queued (on one CPU the worker has not run).
    def close_a_busy_recorder(_):
        r = AsyncRecorder(Counter(), capacity=64)
        for _ in range(32):
            r.record(1)
        r.close()

    assert other_thread_runs_during(
        lambda: AsyncRecorder(Counter()), close_a_busy_recorder, rounds=2_000
    )


def test_a_call_that_never_releases_the_gil_lets_no_other_thread_run():
    # The control for the tests above: with the same harness, a call that does not release the
    # GIL (a drop-mode record never waits) never lets the other thread in.
    make = lambda: AsyncRecorder(Counter(), capacity=1_000_000)  # noqa: E731
    assert not other_thread_runs_during(make, lambda r: r.record(1), rounds=20_000)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_in_a_forked_child_records_raise_closed_error_and_close_returns():
    # The workers exist only in the parent: in a child, records used to be accepted and never
    # applied, and close() aborted the process while joining threads that are not there.
    c = Counter()
    r = AsyncRecorder(c)
    r.record(1)
    assert r.flush(WAIT)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            try:
                r.record(1)
            except ClosedError as e:
                if "fork" in str(e) and r.closed:
                    r.close()
                    code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    r.record(1)
    r.close()
    assert c.get() == 2
