"""SnapshotCell: a byte string swapped atomically, with a revision and update times."""

import datetime
import threading

import pytest
from atomicperf import RevisionMismatchError, SnapshotCell


def test_starts_at_revision_zero():
    c = SnapshotCell(b"v0")
    assert (c.load(), c.revision, c.load_with_revision()) == (b"v0", 0, (b"v0", 0))


def test_store_returns_the_next_revision():
    c = SnapshotCell(value=b"v0")
    assert c.store(b"v1") == 1
    assert c.store(value=b"v2") == 2
    assert c.load_with_revision() == (b"v2", 2) and c.revision == 2


def test_load_returns_the_stored_bytes_object():
    v = b"x" * 100
    c = SnapshotCell(b"")
    c.store(v)
    assert c.load() is v


def test_bytes_like_values_are_copied():
    buf = bytearray(b"abc")
    c = SnapshotCell(buf)
    buf[0] = ord("z")
    assert c.load() == b"abc" and type(c.load()) is bytes
    c.store(memoryview(b"hello")[1:])
    assert c.load() == b"ello"


def test_compare_and_store():
    c = SnapshotCell(b"v0")
    assert c.compare_and_store(0, b"v1") == 1
    assert c.compare_and_store(expected=1, value=b"v2") == 2
    with pytest.raises(RevisionMismatchError, match="revision is 2, not the expected 1") as e:
        c.compare_and_store(1, b"lost")
    assert (e.value.expected, e.value.current) == (1, 2)
    assert isinstance(e.value, ValueError)
    assert c.load_with_revision() == (b"v2", 2)
    with pytest.raises(RevisionMismatchError) as e:
        c.compare_and_store(2**64 - 1, b"lost")
    assert e.value.current == 2


def test_bad_arguments():
    with pytest.raises(TypeError, match="value must be bytes, bytearray or memoryview, not str"):
        SnapshotCell("text")  # type: ignore[arg-type]
    c = SnapshotCell(b"")
    with pytest.raises(
        TypeError, match="value must be bytes, bytearray or memoryview, not NoneType"
    ):
        c.store(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected must be an int from 0 to 2\\*\\*64 - 1, got -1"):
        c.compare_and_store(-1, b"x")
    with pytest.raises(TypeError, match="expected must be an int, not str"):
        c.compare_and_store("0", b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be bytes"):
        c.compare_and_store(0, 5)  # type: ignore[arg-type]
    assert c.revision == 0


def test_age_and_last_updated():
    before = datetime.datetime.now(datetime.timezone.utc)
    c = SnapshotCell(b"")
    assert isinstance(c.age, float) and c.age >= 0.0
    t0 = c.last_updated
    assert t0.tzinfo is datetime.timezone.utc
    # Wall clock: within a day of now is a sanity bound, not a timing.
    assert abs(t0 - before) < datetime.timedelta(days=1)
    c.store(b"x")
    assert c.last_updated >= t0


def test_properties_are_read_only():
    c = SnapshotCell(b"")
    for name in ("revision", "age", "last_updated"):
        with pytest.raises(AttributeError):
            setattr(c, name, 1)


def test_repr():
    c = SnapshotCell(b"abc")
    c.store(b"abcd")
    assert repr(c).startswith("SnapshotCell(revision=1, len=4, age=")


def test_readers_never_see_the_revision_go_backwards():
    # Writers store str(revision) through compare_and_store loops, so every value names its
    # revision; readers check the pairing and that revisions never decrease.
    c = SnapshotCell(b"0")
    stop = threading.Event()
    problems = []

    def writer():
        for _ in range(2_000):
            while True:
                value, rev = c.load_with_revision()
                try:
                    c.compare_and_store(rev, str(rev + 1).encode())
                    break
                except RevisionMismatchError as e:
                    assert e.current > rev

    def reader():
        last = 0
        while not stop.is_set():
            value, rev = c.load_with_revision()
            r2 = c.revision
            if int(value) != rev or rev < last or r2 < rev:
                problems.append((value, rev, last, r2))
                return
            last = r2

    readers = [threading.Thread(target=reader) for _ in range(4)]
    writers = [threading.Thread(target=writer) for _ in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not problems
    assert c.load_with_revision() == (b"8000", 8000)
