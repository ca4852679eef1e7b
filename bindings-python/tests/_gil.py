"""The harness of test_async_recorder.py for proving that a call releases the GIL, shared by the
state tests: with a 100 s switch interval the interpreter never preempts a thread, so another
Python thread runs only while the running one is inside a call that releases the GIL itself."""

import contextlib
import os
import sys
import threading


@contextlib.contextmanager
def switches_only_on_release():
    """No preemption (100 s switch interval) and the process pinned to one CPU while active."""
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


def runs_during(call, then=None):
    """Starts a thread that, once let go, appends to a list and calls `then()`; lets it go and
    makes `call()` (which must return only after `then()` ran, or time out). Returns (ran,
    result): `ran` can only be true if `call` released the GIL, since nothing else does between
    letting the thread go and `call` returning."""
    ran = []
    go = threading.Event()

    def other():
        go.wait()
        ran.append(True)
        if then is not None:
            then()

    with switches_only_on_release():
        t = threading.Thread(target=other)
        t.start()  # returns once `other` waits on `go`, with the GIL released
        go.set()  # `other` wakes and queues for the GIL, which only `call` can release
        result = call()
        ran_during = bool(ran)
    t.join()
    return ran_during, result
