"""ThroughputWindow: events per second over a sliding window, with SLA violations.

Sliding behaviour needs a clock the test controls, which only the core's tests have
(ManualClock); here a 1-hour window keeps every event inside it, and rates are only checked for
sanity.
"""

import datetime
import math
import threading

import pytest
from atomicperf import ThroughputWindow, WindowStats

HOUR = 3600.0


def test_defaults_are_ten_seconds_ten_buckets_and_100_ms():
    w = ThroughputWindow()
    assert (w.window, w.buckets, w.sla) == (10.0, 10, 0.1)


def test_settings_accept_seconds_and_timedeltas():
    w = ThroughputWindow(
        window=datetime.timedelta(minutes=1), buckets=6, sla=datetime.timedelta(milliseconds=250)
    )
    assert (w.window, w.buckets, w.sla) == (60.0, 6, 0.25)
    w = ThroughputWindow(window=2, sla=1)  # ints are seconds for settings
    assert (w.window, w.sla) == (2.0, 1.0)


def test_latencies_strictly_above_the_sla_are_violations():
    w = ThroughputWindow(window=HOUR, sla=0.010)
    for latency in (0.005, 0.010, 0.011, 0.1):
        w.record(latency)
    s = w.stats()
    assert isinstance(s, WindowStats)
    assert (s.events, s.violations, s.violation_ratio) == (4, 2, 0.5)


def test_latency_is_int_ns_float_seconds_or_timedelta_like_timer_record():
    w = ThroughputWindow(window=HOUR, sla=0.001)
    w.record(1_000_001)  # ns: above 1 ms
    w.record(999_999)  # ns: below
    w.record(0.002)  # s: above
    w.record(datetime.timedelta(microseconds=500))  # below
    s = w.stats()
    assert (s.events, s.violations) == (4, 2)


def test_empty_window_reports_zeros():
    s = ThroughputWindow().stats()
    assert (s.events, s.violations, s.violation_ratio) == (0, 0, 0.0)
    assert s.events_per_second == 0.0


def test_stats_are_sane():
    w = ThroughputWindow(window=HOUR)
    for _ in range(10):
        w.record(0.0)
    s = w.stats()
    assert s.events == 10
    assert math.isfinite(s.events_per_second) and s.events_per_second >= 0.0
    assert 0.0 <= s.covered <= HOUR
    assert s.to_dict() == {
        "events": s.events,
        "violations": s.violations,
        "events_per_second": s.events_per_second,
        "violation_ratio": s.violation_ratio,
        "covered": s.covered,
    }
    with pytest.raises(AttributeError):
        s.events = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"buckets": 0}, "invalid configuration: a throughput window needs"),
        ({"window": 0}, "invalid configuration: a throughput window must be longer than zero"),
        ({"window": 3e-9, "buckets": 4}, "are shorter than 1 ns"),
        ({"window": -1.0}, "window must be a number of seconds \\(or a timedelta\\) not below 0"),
        ({"window": math.nan}, "window must be a number of seconds"),
        ({"window": datetime.timedelta(seconds=-1)}, "window must be a number of seconds"),
        ({"window": 1e30}, "window is too long"),
        ({"sla": -0.1}, "sla must be a number of seconds \\(or a timedelta\\) not below 0"),
        ({"buckets": -1}, "buckets must be an int from 0 to 2\\*\\*64 - 1"),
    ],
)
def test_bad_configuration_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ThroughputWindow(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": "10"}, "window must be a number of seconds or a datetime.timedelta, not str"),
        ({"sla": True}, "sla must be a number of seconds or a datetime.timedelta, not bool"),
        ({"buckets": 2.0}, "buckets must be an int, not float"),
    ],
)
def test_wrong_setting_types_raise_type_error(kwargs, message):
    with pytest.raises(TypeError, match=message):
        ThroughputWindow(**kwargs)


def test_bad_latencies_raise_like_timer_durations():
    w = ThroughputWindow()
    with pytest.raises(ValueError, match="latency must be a duration from 0"):
        w.record(-1)
    with pytest.raises(TypeError, match="latency must be an int of nanoseconds"):
        w.record("1")  # type: ignore[arg-type]
    assert w.stats().events == 0


def test_repr_shows_settings_and_counts():
    w = ThroughputWindow(window=HOUR, buckets=4, sla=0.5)
    w.record(1.0)
    assert repr(w) == "ThroughputWindow(window=3600.0, buckets=4, sla=0.5, events=1, violations=1)"
    assert repr(w.stats()).startswith("WindowStats(events=1, violations=1, events_per_second=")


def test_eight_threads_count_every_event_in_the_window():
    w = ThroughputWindow(window=HOUR, buckets=4, sla=0.010)
    start = threading.Barrier(8)

    def work(t):
        start.wait()
        for i in range(5_000):
            w.record(20_000_000 if (t + i) % 4 == 0 else 1)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    s = w.stats()
    assert (s.events, s.violations) == (40_000, 10_000)
