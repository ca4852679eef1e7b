"""OnceMap: initialise once per key under races; a failed initialiser is not cached.

No test asserts a timing; timeouts are bounds against hangs."""

import datetime
import threading
import time

import pytest
from _gil import runs_during
from atomicperf import OnceMap

WAIT = 30.0


def test_get_or_init_runs_fn_once_and_keeps_the_object():
    m = OnceMap()
    value = {"client": 1}
    calls = []

    def make():
        calls.append(1)
        return value

    assert m.get_or_init(b"k", make) is value
    assert m.get_or_init(key=b"k", fn=make, timeout=1.0) is value
    assert calls == [1]
    assert m.get(b"k") is value and m[b"k"] is value and b"k" in m and len(m) == 1


def test_get_remove_len_and_defaults():
    m = OnceMap()
    sentinel = object()
    assert m.get(b"x") is None and m.get(b"x", sentinel) is sentinel
    assert m.get(key=b"x", default=3) == 3
    assert m.remove(b"x") is None and len(m) == 0
    m.get_or_init(b"x", lambda: None)  # None is a value like any other
    assert b"x" in m and m.get(b"x", sentinel) is None and len(m) == 1
    m.get_or_init(bytearray(b"y"), lambda: "y")
    assert m.remove(key=memoryview(b"y")) == "y"
    assert m.get_or_init(b"y", lambda: "again") == "again"  # removed keys initialise again
    with pytest.raises(KeyError):
        m[b"missing"]
    assert repr(m) == "OnceMap(len=2)"


def test_bad_arguments():
    m = OnceMap()
    with pytest.raises(TypeError, match="key must be bytes, bytearray or memoryview, not str"):
        m.get_or_init("k", lambda: 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be bytes, bytearray or memoryview, not int"):
        m.get(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not NoneType"):
        m.remove(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int"):
        1 in m  # noqa: B015
    with pytest.raises(
        ValueError, match="timeout must be a number of seconds \\(or a timedelta\\) not below 0"
    ):
        m.get_or_init(b"k", lambda: 1, timeout=-1)
    with pytest.raises(
        TypeError, match="timeout must be a number of seconds or a datetime.timedelta, not str"
    ):
        m.get_or_init(b"k", lambda: 1, timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not callable"):
        m.get_or_init(b"k", 5)  # type: ignore[arg-type]
    assert len(m) == 0 and m.get_or_init(b"k", lambda: 1) == 1


def test_a_failed_fn_is_not_cached_and_the_next_caller_retries():
    m = OnceMap()

    def down():
        raise ConnectionError("backend down")

    with pytest.raises(ConnectionError, match="backend down"):
        m.get_or_init(b"k", down)
    assert (m.get(b"k"), len(m), b"k" in m) == (None, 0, False)
    assert m.get_or_init(b"k", lambda: "up") == "up"
    assert m.get_or_init(b"k", down) == "up"


def test_fn_calling_get_or_init_for_its_own_key_is_refused_not_a_deadlock():
    m = OnceMap()

    def recursive():
        return m.get_or_init(b"k", lambda: "inner")

    with pytest.raises(RuntimeError, match="key b'k' is being initialised by this thread"):
        m.get_or_init(b"k", recursive)
    assert b"k" not in m
    # Other keys, and other maps, may be initialised from inside fn.
    other = OnceMap()
    assert m.get_or_init(
        b"a", lambda: (m.get_or_init(b"b", lambda: 2), other.get_or_init(b"a", lambda: 3))
    ) == (2, 3)
    # And the refused key is usable afterwards.
    assert m.get_or_init(b"k", lambda: "fine") == "fine"


def test_sixteen_racing_threads_run_the_initialiser_exactly_once():
    m = OnceMap()
    runs = []
    start = threading.Barrier(16)
    results = []

    def make():
        runs.append(1)
        time.sleep(0.02)  # releases the GIL: the other callers arrive and wait meanwhile
        return object()

    def worker():
        start.wait()
        results.append(m.get_or_init(b"shared", make))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1
    assert len(results) == 16 and all(r is results[0] for r in results)


def test_racing_threads_after_a_failure_still_initialise_once():
    m = OnceMap()
    attempts = []
    lock = threading.Lock()
    start = threading.Barrier(16)
    outcomes = []

    def flaky():
        with lock:
            attempts.append(1)
            first = len(attempts) == 1
        time.sleep(0.01)
        if first:
            raise ConnectionError("first attempt fails")
        return "ok"

    def worker():
        start.wait()
        try:
            outcomes.append(m.get_or_init(b"k", flaky))
        except ConnectionError:
            outcomes.append("failed")

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(attempts) == 2
    assert sorted(outcomes) == ["failed"] + ["ok"] * 15
    assert m.get(b"k") == "ok"


def test_different_keys_initialise_in_parallel():
    # Key a's fn waits until key b's has run: only possible if they run at the same time.
    m = OnceMap()
    both = threading.Barrier(2, timeout=WAIT)

    def make(v):
        both.wait()
        return v

    t = threading.Thread(target=lambda: m.get_or_init(b"a", lambda: make(1)))
    t.start()
    assert m.get_or_init(b"b", lambda: make(2)) == 2
    t.join()
    assert m.get(b"a") == 1


def test_timeout_while_another_caller_initialises():
    m = OnceMap()
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(WAIT)
        return "slow"

    t = threading.Thread(target=lambda: m.get_or_init(b"k", slow))
    t.start()
    assert started.wait(WAIT)
    with pytest.raises(TimeoutError, match="key b'k' is being initialised by another caller"):
        m.get_or_init(b"k", lambda: "never", timeout=0.01)
    with pytest.raises(TimeoutError):
        m.get_or_init(b"k", lambda: "never", timeout=datetime.timedelta(0))
    release.set()
    t.join()
    assert m.get_or_init(b"k", lambda: "never", timeout=0) == "slow"


def test_waiting_for_another_callers_fn_releases_the_gil():
    # Thread B holds the key's initialisation until `release` is set; the harness's other thread
    # sets it. The main thread's get_or_init can only return "from B" (before its timeout) if it
    # let that thread run while it waited, which it can only do by releasing the GIL.
    m = OnceMap()
    started, release = threading.Event(), threading.Event()

    def held():
        started.set()
        release.wait(WAIT)
        return "from B"

    b = threading.Thread(target=lambda: m.get_or_init(b"k", held))
    b.start()
    assert started.wait(WAIT)
    ran, value = runs_during(
        lambda: m.get_or_init(b"k", lambda: "from main", timeout=WAIT), then=release.set
    )
    b.join()
    assert ran and value == "from B"


def test_reading_an_initialised_key_does_not_release_the_gil():
    # The control for the test above: the fast path (key initialised) never waits.
    m = OnceMap()
    m.get_or_init(b"k", lambda: 1)
    ran, _ = runs_during(lambda: [m.get_or_init(b"k", int) for _ in range(20_000)])
    assert not ran
