"""RateTracker: per-second rates of counters between calls.

Time-based results depend on the real clock here (the core's tests drive a manual clock), so
these tests pin structure and sanity: first call zeros, deltas exact, rates finite and >= 0.
"""

import math
import threading

import pytest
from atomicperf import Counter, RateTracker


def test_first_call_reports_zero_for_every_counter_in_order():
    a, b = Counter(), Counter()
    a.add(100)
    t = RateTracker({"a": a, "b": b})
    assert t.rates() == {"a": 0.0, "b": 0.0}
    assert list(t.rates()) == ["a", "b"]


def test_detailed_rates_give_exact_deltas_and_non_negative_rates():
    a, b = Counter(), Counter()
    t = RateTracker([("a", a), ("b", b)])
    assert t.rates_detailed() == [("a", 0, 0.0), ("b", 0, 0.0)]
    a.add(30)
    b.add(5)
    rows = t.rates_detailed()
    assert [(name, delta) for name, delta, _ in rows] == [("a", 30), ("b", 5)]
    for _, _, per_second in rows:
        assert math.isfinite(per_second) and per_second >= 0.0
    assert t.rates_detailed()[0][1] == 0  # nothing since the previous call


def test_counters_are_shared_not_copied():
    c = Counter()
    t = RateTracker({"requests": c})
    t.rates()
    c.inc()
    ((name, delta, _),) = t.rates_detailed()
    assert (name, delta) == ("requests", 1)


def test_rates_are_non_negative_floats():
    c = Counter()
    t = RateTracker({"c": c})
    t.rates()
    c.add(1_000)
    r = t.rates()["c"]
    assert isinstance(r, float) and r >= 0.0


def test_empty_tracker_reports_nothing():
    t = RateTracker({})
    assert t.rates() == {}
    assert t.names == []


def test_names_in_registration_order():
    t = RateTracker([("z", Counter()), ("a", Counter())])
    assert t.names == ["z", "a"]
    assert repr(t) == "RateTracker(names=['z', 'a'])"


def test_duplicate_names_raise_value_error():
    c = Counter()
    with pytest.raises(ValueError, match='names must be unique, "a" appears twice'):
        RateTracker([("a", c), ("a", c)])


def test_a_value_that_is_not_a_counter_raises_type_error():
    with pytest.raises(TypeError, match="tracks atomicperf.Counter objects, not int"):
        RateTracker({"a": 1})  # type: ignore[dict-item]


def test_a_name_that_is_not_a_str_raises_type_error():
    with pytest.raises(TypeError, match="names must be str, not int"):
        RateTracker({1: Counter()})  # type: ignore[dict-item]


@pytest.mark.parametrize("bad", [[("a",)], [("a", Counter(), 1)], ["ab"], [3]])
def test_malformed_pairs_raise_type_error(bad):
    with pytest.raises(TypeError, match="pairs must be \\(name, Counter\\) tuples"):
        RateTracker(bad)


@pytest.mark.parametrize("bad", [3, "ab", None])
def test_not_a_mapping_or_iterable_raises_type_error(bad):
    with pytest.raises(TypeError, match="takes a dict of name -> Counter or an iterable"):
        RateTracker(bad)  # type: ignore[arg-type]


def test_concurrent_callers_get_finite_rates_and_conserve_deltas():
    c = Counter()
    t = RateTracker({"c": c})
    t.rates()
    seen = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work():
        start.wait()
        local = []
        for _ in range(500):
            c.inc()
            local.extend(t.rates_detailed())
        with lock:
            seen.extend(local)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert c.get() == 4_000
    assert all(math.isfinite(r) and r >= 0.0 for _, _, r in seen)
    assert all(0 <= d <= 4_000 for _, d, _ in seen)
