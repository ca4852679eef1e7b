"""Summary: quantiles over a sliding window of time, count and sum over all time."""

import math
import threading
import time
from datetime import timedelta

import pytest
from atomicperf import Registry, Summary


def test_quantiles_of_known_data_are_within_the_precision():
    s = Summary()
    assert s.quantile(0.5) is None
    assert s.quantiles() == [(0.5, None), (0.9, None), (0.99, None)]
    for v in range(1, 1001):
        s.record(v * 1000)
    for q, want in ((0.5, 500_000), (0.9, 900_000), (0.99, 990_000)):
        assert s.quantile(q) == pytest.approx(want, rel=1 / 128)
    assert s.quantile(1.0) == 1_000_000
    assert (s.count(), s.sum(), s.window_count()) == (1000, 1000 * 1000 * 1001 // 2, 1000)
    assert [q for q, _ in s.quantiles()] == [0.5, 0.9, 0.99]
    s.record_duration(0.25)  # seconds, recorded in ns
    s.record_duration(timedelta(milliseconds=1))
    assert s.quantile(1.0) == 250_000_000
    assert s.objectives == [0.5, 0.9, 0.99]
    assert (s.max_age, s.age_buckets) == (600.0, 5)


def test_the_window_empties_after_a_short_max_age_while_count_and_sum_stay():
    # 0.6 s in 2 steps of 0.3 s: the record is still in the window right after it even on a
    # loaded machine (a thread descheduled for a whole step between the two calls would not).
    s = Summary(max_age=0.6, age_buckets=2, quantiles=[0.5])
    s.record(7)
    assert s.quantile(0.5) == 7
    time.sleep(1.5)  # far past max_age, whatever the coarse clock's resolution
    assert s.quantile(0.5) is None
    assert s.quantiles() == [(0.5, None)]
    assert (s.window_count(), s.count(), s.sum()) == (0, 1, 7)
    s.record(9)
    assert s.quantile(0.5) == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantiles": [0.5, 1.5]}, "within [0, 1]"),
        ({"quantiles": [0.9, 0.9]}, "twice"),
        ({"age_buckets": 0}, "age buckets"),
        ({"age_buckets": 256}, "age buckets"),
        ({"age_buckets": -1}, "age buckets"),
        ({"max_age": 0}, "at least 1 ms"),
        ({"max_age": 0.0005, "age_buckets": 1}, "at least 1 ms"),
        ({"significant_figures": 6}, "precision"),
        ({"highest": 1}, "highest"),
    ],
)
def test_bad_options_raise_value_error_saying_why(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Summary(**kwargs)


def test_bad_arguments_raise_clear_errors():
    s = Summary()
    with pytest.raises(ValueError):
        s.record(-1)
    with pytest.raises(TypeError):
        s.record("1")
    with pytest.raises(ValueError):
        s.quantile(1.5)
    with pytest.raises(ValueError):
        s.quantile(math.nan)
    with pytest.raises(ValueError):
        s.record_duration(-1.0)
    with pytest.raises(TypeError):
        Summary(quantiles="0.5")
    with pytest.raises(ValueError):
        Summary(max_age=-1)
    assert Summary(quantiles=[]).quantiles() == []


def test_records_from_threads_are_all_counted():
    s = Summary()

    def work():
        for i in range(10_000):
            s.record(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.count() == 40_000
    assert s.window_count() == 40_000


def test_registry_summary_is_exported_with_its_quantiles_sum_and_count():
    r = Registry()
    s = r.summary("rpc_seconds", "RPC latency.", {"method": "get"}, quantiles=[0.9, 0.5])
    for ms in range(1, 101):
        s.record(ms * 1_000_000)
    assert r.summary("rpc_seconds", "RPC latency.", {"method": "get"}).count() == 100
    text = r.export()
    assert "# TYPE rpc_seconds summary\n" in text
    assert 'rpc_seconds{method="get",quantile="0.5"} 0.05' in text
    assert 'rpc_seconds_sum{method="get"} 5.05\n' in text
    assert 'rpc_seconds_count{method="get"} 100\n' in text
    assert "# TYPE rpc_seconds summary\n" in r.export("openmetrics")
    with pytest.raises(ValueError, match="quantile"):
        r.summary("q", labels={"quantile": "x"})
    with pytest.raises(ValueError):
        r.gauge("rpc_seconds_count")
    with pytest.raises(ValueError, match="age buckets"):
        r.summary("never", age_buckets=0)
    with pytest.raises(ValueError, match="scale"):
        r.summary("never", scale=-1.0)
    assert "never" not in r.export()


def test_prometheus_client_collector_exports_a_summary_family_with_quantiles():
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    r = Registry()
    s = r.summary("lat_seconds", "Latency.", {"path": "/"}, quantiles=[0.5, 0.99])
    for ms in range(1, 101):
        s.record(ms * 1_000_000)
    r.summary("idle_seconds", "Idle.")
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    families = {f.name: f for f in reg.collect()}
    lat = families["lat_seconds"]
    assert lat.type == "summary"
    samples = {(x.name, x.labels.get("quantile")): x.value for x in lat.samples}
    assert samples[("lat_seconds", "0.5")] == pytest.approx(0.05, rel=1 / 128)
    assert samples[("lat_seconds_count", None)] == 100
    assert samples[("lat_seconds_sum", None)] == pytest.approx(5.05)
    idle = {(x.name, x.labels.get("quantile")): x.value for x in families["idle_seconds"].samples}
    assert math.isnan(idle[("idle_seconds", "0.5")])
    # Both text writers' output parses back.
    text = prometheus_client.generate_latest(reg).decode()
    assert 'lat_seconds{path="/",quantile="0.5"}' in text
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest

    parsed = {f.name: f for f in text_string_to_metric_families(om_latest(reg).decode())}
    assert parsed["lat_seconds"].type == "summary"
