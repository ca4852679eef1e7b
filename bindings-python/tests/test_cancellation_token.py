"""CancellationToken: cancel once, seen by the token and its children; wait releases the GIL.

No test asserts a timing: timeouts are bounds against hangs or zero-length waits."""

import datetime
import threading

import pytest
from _gil import runs_during
from atomicperf import CancellationToken

WAIT = 30.0


def test_a_new_token_is_not_cancelled():
    t = CancellationToken()
    assert t.is_cancelled is False
    assert repr(t) == "CancellationToken(cancelled=False)"


def test_cancel_is_idempotent_and_shows_in_repr():
    t = CancellationToken()
    assert t.cancel() is None
    t.cancel()
    assert t.is_cancelled is True
    assert repr(t) == "CancellationToken(cancelled=True)"


def test_is_cancelled_is_a_read_only_property():
    t = CancellationToken()
    with pytest.raises(AttributeError):
        t.is_cancelled = True  # type: ignore[misc]


def test_children_are_cancelled_with_their_parent_not_the_other_way_round():
    root = CancellationToken()
    child = root.child()
    grandchild = child.child()
    assert isinstance(child, CancellationToken)
    child.cancel()
    assert (child.is_cancelled, grandchild.is_cancelled, root.is_cancelled) == (True, True, False)
    sibling = root.child()
    root.cancel()
    assert sibling.is_cancelled


def test_child_of_a_cancelled_token_starts_cancelled():
    t = CancellationToken()
    t.cancel()
    assert t.child().is_cancelled


def test_wait_returns_false_at_the_timeout_and_true_once_cancelled():
    t = CancellationToken()
    assert t.wait(0) is False
    assert t.wait(timeout=0.001) is False
    assert t.wait(datetime.timedelta(microseconds=1)) is False
    t.cancel()
    assert t.wait() is True
    assert t.wait(timeout=0) is True


def test_bad_timeouts():
    t = CancellationToken()
    with pytest.raises(
        ValueError, match="timeout must be a number of seconds \\(or a timedelta\\) not below 0"
    ):
        t.wait(-1)
    with pytest.raises(ValueError, match="not below 0"):
        t.wait(float("nan"))
    with pytest.raises(
        TypeError, match="timeout must be a number of seconds or a datetime.timedelta, not str"
    ):
        t.wait("1")  # type: ignore[arg-type]
    t.cancel()
    assert t.wait(None) is True  # None: no timeout


def test_every_waiter_wakes_on_cancel():
    root = CancellationToken()
    results = []
    waiters = [
        threading.Thread(target=lambda: results.append(root.child().wait(WAIT))) for _ in range(8)
    ]
    for w in waiters:
        w.start()
    root.cancel()
    for w in waiters:
        w.join()
    assert results == [True] * 8


def test_wait_releases_the_gil():
    # The other thread cancels the token: wait can only return True (before its timeout) if it
    # let that thread run, which it can only do by releasing the GIL.
    t = CancellationToken()
    ran, cancelled = runs_during(lambda: t.wait(WAIT), then=t.cancel)
    assert ran and cancelled


def test_is_cancelled_does_not_release_the_gil():
    # The control: the same harness around a call that never releases the GIL.
    t = CancellationToken()
    ran, _ = runs_during(lambda: [t.is_cancelled for _ in range(20_000)])
    assert not ran


def test_a_deep_chain_of_children_cancels_and_drops_on_a_small_thread_stack():
    # A `tok = tok.child()` retry loop builds a chain; cancelling the root and dropping the leaf
    # once took one native stack frame per level and crashed the process at ~20k levels on a
    # 2 MiB thread.
    outcome = []

    def chain():
        root = CancellationToken()
        leaf = root
        for _ in range(300_000):
            leaf = leaf.child()
        root.cancel()
        outcome.append(leaf.is_cancelled)
        del root, leaf

    old = threading.stack_size(2 * 1024 * 1024)
    try:
        t = threading.Thread(target=chain)
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    assert outcome == [True]
