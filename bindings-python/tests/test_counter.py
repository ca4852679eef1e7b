"""Counter: a monotonic, striped integer counter."""

import threading

import pytest
from atomicperf import Counter


def test_starts_at_zero_and_counts_inc_and_add():
    c = Counter()
    assert c.get() == 0
    c.inc()
    c.add(41)
    assert c.get() == 42
    assert c.value == 42


def test_inc_and_add_return_none():
    c = Counter()
    assert c.inc() is None
    assert c.add(1) is None


def test_add_zero_and_bool_are_ints():
    c = Counter()
    c.add(0)
    c.add(True)
    assert c.get() == 1


def test_add_accepts_the_largest_u64_and_the_total_wraps():
    c = Counter(stripes=1)
    c.add(2**64 - 1)
    assert c.get() == 2**64 - 1
    c.add(2)
    assert c.get() == 1


def test_add_negative_raises_value_error_naming_the_value():
    c = Counter()
    with pytest.raises(
        ValueError, match=r"add\(\) argument must be an int from 0 to 2\*\*64 - 1, got -1"
    ):
        c.add(-1)
    assert c.get() == 0


def test_add_too_large_raises_value_error():
    with pytest.raises(ValueError, match="got 18446744073709551616"):
        Counter().add(2**64)


@pytest.mark.parametrize("bad", ["x", 1.0, None, [1]])
def test_add_non_int_raises_type_error(bad):
    with pytest.raises(TypeError, match=r"add\(\) argument must be an int, not "):
        Counter().add(bad)


def test_add_and_inc_check_their_argument_count():
    c = Counter()
    with pytest.raises(TypeError):
        c.add()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        c.inc(1)  # type: ignore[call-arg]


def test_value_is_read_only():
    with pytest.raises(AttributeError):
        Counter().value = 3  # type: ignore[misc]


def test_explicit_stripes_are_kept():
    assert Counter(stripes=1).stripes == 1
    assert Counter(8).stripes == 8
    assert Counter(stripes=None).stripes >= 1


def test_default_stripe_count_is_a_power_of_two():
    s = Counter().stripes
    assert s & (s - 1) == 0 and 1 <= s <= 64


@pytest.mark.parametrize("bad", [0, 3, 2048])
def test_stripes_not_a_power_of_two_up_to_1024_raise_value_error(bad):
    with pytest.raises(
        ValueError, match=f"stripe count must be a power of two from 1 to 1024, got {bad}"
    ):
        Counter(stripes=bad)


def test_negative_stripes_raise_value_error():
    with pytest.raises(ValueError, match="stripes must be an int from 0 to 2"):
        Counter(stripes=-4)


def test_non_int_stripes_raise_type_error():
    with pytest.raises(TypeError, match="stripes must be an int, not str"):
        Counter(stripes="4")  # type: ignore[arg-type]


def test_repr_shows_the_value():
    c = Counter()
    assert repr(c) == "Counter(value=0)"
    c.add(3)
    assert repr(c) == "Counter(value=3)"


def test_is_final_and_has_no_instance_dict():
    with pytest.raises(TypeError):

        class Sub(Counter):  # type: ignore[misc]
            pass

    with pytest.raises(AttributeError):
        Counter().extra = 1  # type: ignore[attr-defined]


def test_eight_threads_lose_no_increments():
    c = Counter()
    threads_n, per_thread = 8, 20_000
    start = threading.Barrier(threads_n)

    def work():
        start.wait()
        for i in range(per_thread):
            if i % 2:
                c.inc()
            else:
                c.add(3)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.get() == threads_n * (per_thread // 2) * (1 + 3)
