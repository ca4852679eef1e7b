"""ShardedMap: a concurrent map of byte strings, agreeing with a dict."""

import random
import threading

import pytest
from atomicperf import ShardedMap


def test_insert_get_remove_contains_len_clear():
    m = ShardedMap()
    assert len(m) == 0 and m.get(b"a") is None
    assert m.insert(b"a", b"1") is None
    assert m.insert(b"a", b"2") == b"1"
    assert m.insert(key=b"b", value=b"3") is None
    assert (m.get(b"a"), m.get(key=b"b"), len(m)) == (b"2", b"3", 2)
    assert m.contains(b"a") and b"b" in m and b"c" not in m and not m.contains(key=b"c")
    assert m.remove(b"a") == b"2"
    assert m.remove(b"a") is None
    assert m.remove(key=b"zz") is None
    m.clear()
    assert len(m) == 0 and m.get(b"b") is None


def test_get_default():
    m = ShardedMap()
    sentinel = object()
    assert m.get(b"x", sentinel) is sentinel
    assert m.get(b"x", default=b"d") == b"d"
    m.insert(b"x", b"")
    assert m.get(b"x", sentinel) == b""


def test_returns_the_inserted_bytes_object():
    m = ShardedMap()
    v = b"value" * 10
    m.insert(b"k", v)
    assert m.get(b"k") is v
    assert m.insert(b"k", b"other") is v


def test_bytes_like_keys_and_values_are_copied_into_bytes():
    m = ShardedMap()
    key, value = bytearray(b"key"), bytearray(b"value")
    m.insert(key, value)
    key[0] = ord("K")
    value[0] = ord("V")
    assert m.get(b"key") == b"value" and type(m.get(b"key")) is bytes
    assert m.get(memoryview(b"xkey")[1:]) == b"value"
    assert m.get(bytearray(b"key")) == b"value"
    m.insert(memoryview(b"mv"), memoryview(b"abcdef")[::2])
    assert m.get(b"mv") == b"ace"

    class Sub(bytes):
        pass

    m.insert(Sub(b"sub"), Sub(b"val"))
    assert type(m.get(b"sub")) is bytes and list(m.keys()).count(b"sub") == 1
    assert all(type(k) is bytes for k in m)


@pytest.mark.parametrize("bad", ["text", 1, None, 1.5, [1, 2], (b"a",)])
def test_keys_must_be_byte_strings(bad):
    m = ShardedMap()
    m.insert(b"a", b"1")
    name = type(bad).__name__
    msg = f"key must be bytes, bytearray or memoryview, not {name}"
    for call in (
        lambda: m.get(bad),
        lambda: m.insert(bad, b"v"),
        lambda: m.remove(bad),
        lambda: m.contains(bad),
        lambda: bad in m,
        lambda: m[bad],
        lambda: m.compute_if_absent(bad, lambda: b"v"),
    ):
        with pytest.raises(TypeError, match=msg):
            call()
    assert len(m) == 1


def test_a_str_is_refused_with_a_hint_to_encode_it():
    m = ShardedMap()
    with pytest.raises(TypeError, match="not str \\(encode the str first"):
        m.insert("k", b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be bytes, bytearray or memoryview, not str"):
        m.insert(b"k", "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be bytes, bytearray or memoryview, not int"):
        m[b"k"] = 5  # type: ignore[assignment]
    assert len(m) == 0


def test_shards():
    assert ShardedMap().shards & (ShardedMap().shards - 1) == 0
    assert ShardedMap(shards=None).shards == ShardedMap().shards
    assert ShardedMap(1).shards == 1
    assert ShardedMap(shards=4096).shards == 4096
    for bad in (0, 6, 8192):
        with pytest.raises(ValueError, match="shard count must be a power of two from 1 to 4096"):
            ShardedMap(bad)
    with pytest.raises(ValueError, match="shards must be an int from 0 to 2\\*\\*64 - 1"):
        ShardedMap(-1)
    with pytest.raises(TypeError, match="shards must be an int, not float"):
        ShardedMap(4.0)  # type: ignore[arg-type]


def test_mapping_protocol():
    m = ShardedMap()
    m[b"a"] = b"1"
    assert m[b"a"] == b"1"
    with pytest.raises(KeyError) as e:
        m[b"missing"]
    assert e.value.args == (b"missing",)
    del m[b"a"]
    with pytest.raises(KeyError):
        del m[b"a"]
    assert len(m) == 0


def test_snapshot_items_keys_values_and_iteration():
    m = ShardedMap(shards=4)
    expected = {f"k{i}".encode(): f"v{i}".encode() for i in range(100)}
    for k, v in expected.items():
        m.insert(k, v)
    assert m.snapshot() == expected
    assert sorted(m.items()) == sorted(expected.items())
    assert sorted(m.keys()) == sorted(expected)
    assert sorted(m.values()) == sorted(expected.values())
    assert sorted(m) == sorted(expected)
    # Iteration is over a snapshot: changing the map meanwhile neither raises nor shows.
    seen = []
    for k in m:
        m.remove(k)
        m.insert(b"new-" + k, b"x")
        seen.append(k)
    assert sorted(seen) == sorted(expected) and len(m) == 100


def test_repr():
    m = ShardedMap(shards=2)
    m.insert(b"a", b"b")
    assert repr(m) == "ShardedMap(len=1, shards=2)"


def test_compute_if_absent_calls_fn_only_when_absent():
    m = ShardedMap()
    calls = []

    def make():
        calls.append(1)
        return b"made"

    assert m.compute_if_absent(b"k", make) == b"made"
    assert m.compute_if_absent(key=b"k", fn=make) == b"made"
    assert calls == [1] and m.get(b"k") == b"made"
    m.insert(b"j", b"there")
    assert m.compute_if_absent(b"j", make) == b"there" and calls == [1]


def test_compute_if_absent_fn_failure_inserts_nothing():
    m = ShardedMap()

    def boom():
        raise LookupError("backend down")

    with pytest.raises(LookupError, match="backend down"):
        m.compute_if_absent(b"k", boom)
    with pytest.raises(
        TypeError,
        match="compute_if_absent\\(\\) fn result must be bytes, bytearray or memoryview, not int",
    ):
        m.compute_if_absent(b"k", lambda: 42)
    with pytest.raises(TypeError):
        m.compute_if_absent(b"k", None)  # type: ignore[arg-type]
    assert b"k" not in m and len(m) == 0
    assert m.compute_if_absent(b"k", lambda: bytearray(b"ok")) == b"ok"


def test_fn_may_use_the_same_map_without_deadlock():
    # fn runs outside every lock: nested calls on the same map (same key included) are safe.
    m = ShardedMap(shards=1)  # one shard: every key shares the lock a nested call would need
    m.insert(b"other", b"o")

    def nested():
        assert m.get(b"other") == b"o"
        assert len(m) == 1 and m.snapshot() == {b"other": b"o"}
        assert m.compute_if_absent(b"inner", lambda: b"i") == b"i"
        m.insert(b"k", b"inserted by fn")  # the same key: this value wins
        return b"returned by fn"

    assert m.compute_if_absent(b"k", nested) == b"inserted by fn"
    assert m.snapshot() == {b"other": b"o", b"inner": b"i", b"k": b"inserted by fn"}


def test_fn_may_wait_for_another_thread_using_the_map():
    # The deadlock to avoid: fn holding a shard lock while waiting (GIL released) for a thread
    # that needs that shard. fn holds no lock, so the other thread's calls complete.
    m = ShardedMap(shards=1)

    def fn():
        t = threading.Thread(target=lambda: [m.insert(bytes([i]), b"x") for i in range(100)])
        t.start()
        t.join(timeout=30)
        assert not t.is_alive()
        return b"v"

    assert m.compute_if_absent(b"k", fn) == b"v"
    assert len(m) == 101


def test_racing_compute_if_absent_callers_all_get_the_winner():
    m = ShardedMap()
    start = threading.Barrier(8)
    results = [[] for _ in range(8)]

    def worker(i):
        start.wait()
        for k in range(200):
            results[i].append(m.compute_if_absent(str(k).encode(), lambda k=k: f"{k}-{i}".encode()))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(200):
        winner = m.get(str(k).encode())
        assert winner.startswith(f"{k}-".encode())
        assert all(r[k] == winner for r in results)


def test_threads_on_disjoint_keys_lose_nothing():
    m = ShardedMap()

    def worker(i):
        for j in range(2_000):
            m.insert(f"{i}:{j}".encode(), str(j).encode())
        for j in range(0, 2_000, 2):
            assert m.remove(f"{i}:{j}".encode()) == str(j).encode()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(m) == 8 * 1_000
    assert m.get(b"3:1999") == b"1999" and b"3:1998" not in m


@pytest.mark.parametrize("shards", [1, 2, 16])
def test_agrees_with_a_dict_model(shards):
    rng = random.Random(20240601 + shards)
    m, model = ShardedMap(shards=shards), {}
    keys = [bytes([i]) * rng.randint(0, 3) + bytes([i]) for i in range(64)]
    for step in range(20_000):
        k = rng.choice(keys)
        op = rng.randrange(100)
        if op < 35:
            v = rng.randbytes(rng.randint(0, 8))
            assert m.insert(k, v) == model.get(k)
            model[k] = v
        elif op < 55:
            assert m.get(k) == model.get(k)
            assert (k in m) == (k in model)
        elif op < 70:
            assert m.remove(k) == model.pop(k, None)
        elif op < 85:
            v = rng.randbytes(3)
            assert m.compute_if_absent(k, lambda v=v: v) == model.setdefault(k, v)
        elif op < 99:
            assert len(m) == len(model)
        else:
            m.clear()
            model.clear()
        if step % 2_000 == 0:
            assert m.snapshot() == model
    assert m.snapshot() == model and sorted(m.items()) == sorted(model.items())
