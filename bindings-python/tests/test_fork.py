"""Fork safety: every primitive used in a child after os.fork().

For each primitive: create and use it in the parent (from a second thread too), fork, and in the
child run every operation: the child must see exactly the inherited values and then its own
updates, and the parent must not see the child's. The AsyncRecorder's workers are the parent's
threads: in the child it refuses records with a ClosedError that names fork(), and its close()
returns without joining them.

The "busy" variants fork while other Python threads hammer the primitive, including the calls
that release the GIL inside the library (Registry.export, OnceMap.get_or_init's claim,
CancellationToken.wait, AsyncRecorder flush/close), so another thread can be inside one of the
core's locks when os.fork() is called. The core's fork handler waits until no other thread is
inside one, so the child must work after every fork: a hang is a failure. (In C any thread can be
inside a lock at fork time: see tests/c/test_fork.c.)

Every child runs under signal.alarm(), so a hang ends as a failure, never a stuck test.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from atomicperf import (
    AccountExistsError,
    AsyncRecorder,
    CancellationToken,
    ClosedError,
    Counter,
    Gauge,
    Histogram,
    InsufficientFundsError,
    Ledger,
    MinMax,
    OnceMap,
    RateTracker,
    Registry,
    RevisionMismatchError,
    SameAccountError,
    ShardedMap,
    SnapshotCell,
    ThroughputWindow,
    Timer,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")

CHILD_ALARM_S = int(os.environ.get("FORK_ALARM", "30"))
WAIT = 60.0
BUSY_FORKS = 10


class ChildHung(AssertionError):
    """The child was still running at its alarm."""


def in_child(fn: Callable[[], None], alarm_s: int | None = None) -> None:
    """Runs fn in a forked child under alarm(); asserts that it returned normally."""
    alarm_s = alarm_s or CHILD_ALARM_S
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)  # a hang kills the child
            signal.alarm(alarm_s)
            # Before the alarm: where the child hangs, for the report.
            faulthandler.dump_traceback_later(alarm_s - 1, exit=False)
            fn()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGALRM:
            raise ChildHung(f"the child hung (killed by SIGALRM after {alarm_s} s)")
        pytest.fail(f"child killed by {signal.Signals(sig).name}")
    assert os.waitstatus_to_exitcode(status) == 0, "child failed (see its traceback above)"


def with_second_thread(fn: Callable[[], None]) -> None:
    t = threading.Thread(target=fn)
    t.start()
    t.join()


# Each case: make() -> state (used in the parent, also from a second thread),
# child(state, busy) -> None (every operation; exact checks unless busy),
# parent(state) -> None (the parent is unaffected by the child), hammer(state) (busy variant).


def counter_case():
    def make():
        c = Counter()
        c.add(500)
        with_second_thread(lambda: c.add(500))
        return c

    def child(c, busy):
        v0 = c.get()
        if not busy:
            assert v0 == 1000
        c.inc()
        c.add(5)
        assert c.get() == c.value == v0 + 6
        assert c.stripes >= 1
        assert Counter(4).get() == 0

    def parent(c):
        assert c.get() == 1000

    return make, child, parent, lambda c: c.inc()


def gauge_case():
    def make():
        g = Gauge(1.0)
        with_second_thread(lambda: g.set(42.5))
        return g

    def child(g, busy):
        if not busy:
            assert g.get() == 42.5
        g.set(10.0)
        g.add(2.5)
        g.sub(0.5)
        g.inc()
        g.inc()
        g.dec()
        assert g.get() == g.value == 13.0
        g.set_max(100.0)
        g.set_max(50.0)
        assert g.get() == 100.0
        g.set_min(-1.0)
        g.set_min(3.0)
        assert g.get() == -1.0

    def parent(g):
        assert g.get() == 42.5

    return make, child, parent, lambda g: g.set_max(42.5)


def histogram_case():
    def make():
        h = Histogram()
        with_second_thread(lambda: h.record_n(1000, 1000))
        h.record_n(1000, 1000)
        return h

    def child(h, busy):
        c0 = h.count()
        if not busy:
            assert c0 == 2000 and h.sum() == 2_000_000
        h.record(5000)
        h.record_n(7000, 3)
        h.record(1)
        assert h.count() == c0 + 5
        assert h.min() == 1 and h.max() >= 7000
        assert h.mean() is not None and h.quantile(0.5) is not None
        with pytest.raises(ValueError):
            h.quantile(1.5)
        assert h.overflow_count() == 0 and h.memory_bytes() > 0
        snap = h.snapshot()
        assert snap.count() >= c0 + 5
        other = Histogram()
        other.record_n(9, 10)
        before = h.count()
        h.merge(other)
        assert h.count() == before + 10
        other.reset()
        assert other.count() == 0 and other.min() is None
        if not busy:
            h.reset()
            assert h.count() == 0

    def parent(h):
        assert h.count() == 2000 and h.sum() == 2_000_000

    return make, child, parent, lambda h: h.record(1000)


def minmax_case():
    def make():
        m = MinMax()
        with_second_thread(lambda: m.record(3))
        m.record(30)
        return m

    def child(m, busy):
        assert m.min() == 3
        if not busy:
            assert m.max() == 30
        m.record(1)
        m.record(1 << 50)
        assert (m.min(), m.max()) == (1, 1 << 50)
        m.reset()
        assert m.min() is None and m.max() is None
        m.record(8)
        assert (m.min(), m.max()) == (8, 8)

    def parent(m):
        assert (m.min(), m.max()) == (3, 30)

    return make, child, parent, lambda m: m.record(10)


def timer_case():
    def make():
        t = Timer()
        with_second_thread(lambda: [t.record(1000 + i, ok=i % 2 == 0) for i in range(100)])
        for i in range(100):
            t.record(2000 + i, ok=i % 2 == 0)
        return t

    def child(t, busy):
        c0, e0 = t.count(), t.errors()
        if not busy:
            assert (c0, e0) == (200, 100)
        t.record(1000)
        t.record(2000, ok=False)
        with t.time():
            pass

        @t.timed
        def f():
            return 7

        assert f() == 7
        assert (t.count(), t.errors()) == (c0 + 4, e0 + 1)
        s = t.snapshot()
        assert s.count == c0 + 4 and s.p99 is not None
        assert t.quantile(0.5) is not None and t.total() > 0
        t.reset()
        assert t.count() == 0

    def parent(t):
        assert (t.count(), t.errors()) == (200, 100)

    return make, child, parent, lambda t: t.record(10)


def rate_tracker_case():
    def make():
        c = Counter()
        r = RateTracker({"requests": c})
        with_second_thread(lambda: (r.rates(), c.add(100)))
        return r, c

    def child(state, busy):
        r, c = state
        r.rates()  # consume what the parent left
        c.add(7)
        ((name, delta, rate),) = r.rates_detailed()
        assert (name, delta) == ("requests", 7) and rate >= 0
        assert r.names == ["requests"]

    def parent(state):
        r, c = state
        assert c.get() == 100

    return make, child, parent, lambda s: (s[1].inc(), s[0].rates())


def throughput_window_case():
    # One bucket of an hour: nothing ages out while the test runs.
    def make():
        w = ThroughputWindow(window=3600, buckets=1, sla=1.0)
        with_second_thread(lambda: [w.record(0.001) for _ in range(10)])
        for _ in range(10):
            w.record(2.0)
        return w

    def child(w, busy):
        s0 = w.stats()
        if not busy:
            assert (s0.events, s0.violations) == (20, 10)
        w.record(0.001)
        w.record(5.0)
        s1 = w.stats()
        assert (s1.events, s1.violations) == (s0.events + 2, s0.violations + 1)
        assert s1.to_dict()["events"] == s1.events
        assert w.buckets == 1

    def parent(w):
        s = w.stats()
        assert (s.events, s.violations) == (20, 10)

    return make, child, parent, lambda w: w.record(0.001)


def async_recorder_case():
    def make():
        c = Counter()
        r = AsyncRecorder(c, workers=2)
        with_second_thread(lambda: r.record(4))
        r.record(5)
        assert r.flush(WAIT)
        return r, c

    def child(state, busy):
        r, c = state
        before = c.get()
        with pytest.raises(ClosedError, match="fork"):
            r.record(1)
        with pytest.raises(ClosedError, match="fork"):
            r.record(1, timeout=1.0)
        assert r.closed
        if busy:
            # Events the parent had queued but not applied at the fork are the parent's (its
            # workers apply them there); in the child flush can only report them as unflushed.
            pending = r.enqueued - r.dropped - r.applied
            assert r.flush(0.2) is (pending == 0)
        else:
            assert r.flush(WAIT)  # nothing left to apply: returns at once
        r.close()  # must not join the parent's workers
        r.close()
        assert c.get() == before  # nothing applied, nothing half-applied
        with AsyncRecorder(Counter()) as fresh:  # a new one in the child works
            fresh.record(3)
            assert fresh.flush(WAIT)
            assert fresh.metric.get() == 3

    def parent(state):
        r, c = state
        assert not r.closed
        r.record(1)
        assert r.flush(WAIT)
        assert r.applied + r.dropped == r.enqueued
        assert c.get() == 4 + 5 + 1  # the child's refused records never reach the parent

    def hammer(state):
        r, _ = state
        r.record(1)
        r.flush(0.01)  # releases the GIL

    return make, child, parent, hammer


def sharded_map_case():
    def make():
        m = ShardedMap()
        with_second_thread(
            lambda: [m.insert(f"k{i}".encode(), f"v{i}".encode()) for i in range(50)]
        )
        for i in range(50, 100):
            m[f"k{i}".encode()] = f"v{i}".encode()
        return m

    def child(m, busy):
        n0 = len(m)
        if not busy:
            assert n0 == 100
        assert m.get(b"k7") == b"v7" and m[b"k8"] == b"v8"
        assert b"k99" in m and m.contains(b"k99")
        assert m.insert(b"child", b"one") is None
        assert m.insert(b"child", b"two") == b"one"
        assert m.compute_if_absent(b"child", lambda: b"three") == b"two"
        assert m.compute_if_absent(b"new", lambda: b"made") == b"made"
        assert m.remove(b"k7") == b"v7"
        del m[b"k8"]
        assert len(m) == n0
        snap = m.snapshot()
        assert len(snap) == n0 and snap[b"child"] == b"two"
        assert len(m.items()) == len(m.keys()) == len(m.values()) == len(list(m)) == n0
        m.clear()
        assert len(m) == 0

    def parent(m):
        assert len(m) == 100 and m.get(b"k7") == b"v7" and b"child" not in m

    def hammer(m):
        m.insert(b"h", b"x")
        m.remove(b"h")
        m.snapshot()

    return make, child, parent, hammer


def ledger_case():
    def make():
        led = Ledger()
        for i in range(1, 9):
            led.open(i)
            led.deposit(i, 1000)
        with_second_thread(lambda: led.transfer(1, 2, 10))
        return led

    def child(led, busy):
        assert led.total() == 8000  # transfers conserve it
        if not busy:
            assert (led.balance(1), led.balance(2)) == (990, 1010)
        assert len(led) == 8 and 1 in led
        led.open(100)
        with pytest.raises(AccountExistsError):
            led.open(100)
        assert led.deposit(100, 50) == 50
        assert led.withdraw(100, 20) == 30
        with pytest.raises(InsufficientFundsError):
            led.withdraw(100, 31)
        b1 = led.balance(1)
        led.transfer(100, 1, 30)
        assert led.balance(1) == b1 + 30
        with pytest.raises(SameAccountError):
            led.transfer(1, 1, 1)
        assert led.total() == 8030 and len(led) == 9

    def parent(led):
        assert led.total() == 8000 and len(led) == 8 and led.balance(1) == 990

    def hammer(led):
        led.transfer(3, 4, 1)
        led.transfer(4, 3, 1)
        led.total()

    return make, child, parent, hammer


def snapshot_cell_case():
    def make():
        c = SnapshotCell(b"parent-0")
        with_second_thread(lambda: c.store(b"parent-1"))
        c.store(b"parent-2")
        return c

    def child(c, busy):
        value, rev = c.load_with_revision()
        if not busy:
            assert (value, rev) == (b"parent-2", 2)
        assert c.age >= 0 and c.last_updated is not None
        assert c.store(b"child") == rev + 1
        assert c.compare_and_store(rev + 1, b"child-2") == rev + 2
        with pytest.raises(RevisionMismatchError):
            c.compare_and_store(rev, b"stale")
        assert c.load() == b"child-2" and c.revision == rev + 2

    def parent(c):
        assert c.load_with_revision() == (b"parent-2", 2)

    return make, child, parent, lambda c: c.store(b"hammered")


def once_map_case():
    def make():
        m = OnceMap()
        with_second_thread(lambda: m.get_or_init(b"ready", lambda: "value"))
        return m

    def child(m, busy):
        n0 = len(m)
        assert m.get(b"ready") == "value" and m[b"ready"] == "value" and b"ready" in m
        assert m.get_or_init(b"ready", lambda: "other") == "value"
        assert m.get_or_init(b"child", lambda: ["mine"]) == ["mine"]
        with pytest.raises(KeyError):
            m.get_or_init(b"fails", lambda: (_ for _ in ()).throw(KeyError("no")))
        assert m.get(b"fails") is None
        assert m.remove(b"child") == ["mine"]
        assert len(m) == n0

    def parent(m):
        assert len(m) == 1 and m.get(b"child") is None

    def hammer(m):
        m.get_or_init(b"h", lambda: 1)
        m.remove(b"h")

    return make, child, parent, hammer


def cancellation_token_case():
    def make():
        root = CancellationToken()
        kids = []
        with_second_thread(lambda: kids.append(root.child()))
        return root, kids

    def child(state, busy):
        root, kids = state
        assert not root.is_cancelled
        kid = root.child()
        assert not kid.wait(0.001)
        root.cancel()
        assert kid.is_cancelled and kids[0].is_cancelled
        assert kid.wait(WAIT) and root.wait()

    def parent(state):
        root, kids = state
        assert not root.is_cancelled and not kids[0].is_cancelled

    def hammer(state):
        root, _ = state
        root.child().wait(0.001)  # waits with the GIL released

    return make, child, parent, hammer


def registry_case():
    def make():
        r = Registry()
        r.counter("fork_requests", "Requests.").add(2)
        with_second_thread(lambda: r.counter("fork_requests").inc())
        return r

    def child(r, busy):
        c = r.counter("fork_requests")
        v0 = c.get()
        if not busy:
            assert v0 == 3
        c.inc()
        assert r.counter("fork_requests").get() == v0 + 1
        labels = {"who": "child"}
        r.counter("fork_child_events", labels=labels).add(4)
        r.gauge("fork_child_gauge", labels=labels).set(1.5)
        r.histogram("fork_child_hist", labels=labels).record(1000)
        r.timer("fork_child_timer", labels=labels).record(1000)
        r.minmax("fork_child_minmax", labels=labels).record(3)
        with pytest.raises(ValueError):
            r.gauge("fork_child_events", labels=labels)
        assert 'fork_child_events_total{who="child"} 4' in r.export()
        assert r.export("openmetrics").rstrip().endswith("# EOF")
        assert "fork_child_gauge" in r.export("json")
        Registry.default().counter("fork_default_child").inc()
        Registry.named("fork-named").counter("fork_named").inc()

    def parent(r):
        assert r.counter("fork_requests").get() == 3
        assert "fork_child" not in r.export()

    def hammer(r):
        r.counter("fork_hammer", labels={"k": str(threading.get_ident() % 7)}).inc()
        r.export()  # releases the GIL while it reads the families

    return make, child, parent, hammer


CASES: dict[str, Callable[[], Any]] = {
    "Counter": counter_case,
    "Gauge": gauge_case,
    "Histogram": histogram_case,
    "MinMax": minmax_case,
    "Timer": timer_case,
    "RateTracker": rate_tracker_case,
    "ThroughputWindow": throughput_window_case,
    "AsyncRecorder": async_recorder_case,
    "ShardedMap": sharded_map_case,
    "Ledger": ledger_case,
    "SnapshotCell": snapshot_cell_case,
    "OnceMap": once_map_case,
    "CancellationToken": cancellation_token_case,
    "Registry": registry_case,
}


@pytest.mark.parametrize("name", CASES)
def test_quiet_fork_child_works_and_parent_is_unaffected(name):
    make, child, parent, _ = CASES[name]()
    state = make()
    in_child(lambda: child(state, False))
    parent(state)


@pytest.mark.parametrize("name", CASES)
def test_fork_while_threads_hammer_the_primitive(name):
    make, child, parent, hammer = CASES[name]()
    state = make()
    stop = threading.Event()
    errors: list[BaseException] = []

    def run():
        try:
            while not stop.is_set():
                hammer(state)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(BUSY_FORKS):
            in_child(lambda: child(state, True))
    finally:
        stop.set()
        for t in threads:
            t.join(WAIT)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)


def test_async_recorder_close_in_child_does_not_join_parent_workers():
    # Many workers, a queue the parent keeps busy: the child's close and drop return at once.
    c = Counter()
    r = AsyncRecorder(c, workers=4, capacity=1024, overflow="block")
    for _ in range(1000):
        r.record(1)

    def child():
        r.close()
        assert r.closed

    in_child(child)
    assert r.flush(WAIT) and c.get() == 1000
    r.close()


def test_async_recorder_flush_without_timeout_in_child_with_events_pending_at_fork():
    h = Histogram()
    r = AsyncRecorder(h, capacity=1 << 16, batch=1)
    for _ in range(60_000):
        r.record(1)  # one event per wake-up: the worker is still applying them at the fork

    def child():
        assert r.closed
        # Returns at once: a forked child's recorder is closed (it used to retry, slice after
        # slice, for ever when the parent had events pending at the fork).
        r.flush()

    try:
        in_child(child, alarm_s=5)
    finally:
        assert r.flush(WAIT)
        r.close()
        assert h.count() == 60_000
