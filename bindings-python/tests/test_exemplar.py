"""Exemplars: Counter.inc_with_exemplar / add_with_exemplar and Histogram.record_with_exemplar,
exported in OpenMetrics only, their errors, and prometheus_client's families through the
Collector."""

import math

import pytest
from atomicperf import Counter, Histogram, Registry


def test_counter_exemplar_is_the_latest_and_counts():
    c = Counter()
    assert c.exemplar() is None
    c.inc_with_exemplar({"trace_id": "abc"})
    c.add_with_exemplar(5, {"trace_id": "def", "span_id": "1"}, timestamp=1700000000.5)
    assert c.get() == 6
    labels, value, ts = c.exemplar()
    assert list(labels.items()) == [("span_id", "1"), ("trace_id", "def")]
    assert (value, ts) == (5.0, 1700000000.5)


def test_histogram_outside_a_registry_keeps_one_exemplar():
    h = Histogram()
    h.record_with_exemplar(43, {"trace_id": "t"})
    assert h.count() == 1 and h.sum() == 43
    assert h.exemplars() == [({"trace_id": "t"}, 43.0, None)]


def test_registry_exports_exemplars_in_openmetrics_only():
    r = Registry()
    c = r.counter("requests", "Requests.")
    c.inc_with_exemplar({"trace_id": "4bf92f3577b34da6"})
    h = r.histogram("latency_seconds", "Latency.")
    h.record_with_exemplar(43_000_000, {"trace_id": "00f067aa0ba902b7"}, 1700000000)
    om = r.export("openmetrics")
    assert 'requests_total 1 # {trace_id="4bf92f3577b34da6"} 1\n' in om
    assert (
        'latency_seconds_bucket{le="0.05"} 1 # {trace_id="00f067aa0ba902b7"} 0.043 1700000000\n'
        in om
    )
    assert " # {" not in r.export()
    assert b"4bf92f3577b34da6" in r.export_bytes("protobuf")


@pytest.mark.parametrize(
    "exemplar",
    [{"1x": "v"}, {"trace_id": "x" * 121}, {"a": "\0"}],
    ids=["bad name", "past 128 characters", "NUL"],
)
def test_bad_exemplars_raise_value_error_and_record_nothing(exemplar):
    c, h = Counter(), Histogram()
    with pytest.raises(ValueError):
        c.inc_with_exemplar(exemplar)
    with pytest.raises(ValueError):
        h.record_with_exemplar(5, exemplar)
    assert c.get() == 0 and h.count() == 0
    assert c.exemplar() is None


def test_the_128_character_limit_counts_names_and_values():
    c = Counter()
    c.inc_with_exemplar({"trace_id": "x" * 120})  # 8 + 120
    with pytest.raises(ValueError, match="128"):
        c.inc_with_exemplar({"trace_id": "x" * 121})
    assert c.get() == 1


def test_bad_arguments():
    c, h = Counter(), Histogram()
    with pytest.raises(TypeError):
        c.inc_with_exemplar({"trace_id": 1})
    with pytest.raises(TypeError):
        c.inc_with_exemplar("trace_id=1")
    with pytest.raises(ValueError):
        c.add_with_exemplar(-1, {"trace_id": "a"})
    with pytest.raises(ValueError):
        c.inc_with_exemplar({"trace_id": "a"}, timestamp=math.nan)
    with pytest.raises(TypeError):
        h.record_with_exemplar(1.5, {"trace_id": "a"})
    assert c.get() == 0 and h.count() == 0


def test_small_and_large_label_dicts_and_mappings_take_the_same_checks():
    # Up to 8 labels of a dict are read on the stack, more (or another mapping) into a list:
    # the same answers either way, and a bad set right after a good one with other names is
    # refused (the library remembers the names it checked last).
    c = Counter()
    small = {f"l{i}": str(i) for i in range(8)}
    large = {f"l{i}": str(i) for i in range(9)}
    for labels in (small, large, dict(reversed(list(small.items()))), {}):
        c.inc_with_exemplar(labels)
        got, _, _ = c.exemplar()
        assert got == labels and list(got) == sorted(labels)
    for bad in (
        {**small, "l0x": 1},
        {"l0": "0", "l1": 1},
        {**large, "l9": 1},
        {"l0": "0", "1l": "1"},
        {**large, "__l": "x"},
        {"l0": "\ud800"},
    ):
        c.inc_with_exemplar(small)
        with pytest.raises((TypeError, ValueError, UnicodeEncodeError)):
            c.inc_with_exemplar(bad)
    with pytest.raises(TypeError, match="label values must be str"):
        c.inc_with_exemplar({"l0": 1})
    with pytest.raises(TypeError, match="label names must be str"):
        c.inc_with_exemplar({1: "x"})
    assert c.get() == 4 + 6


def test_collector_carries_exemplars_to_prometheus_client():
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    r = Registry()
    r.counter("requests", "Requests.", labels={"route": '/a"b'}).inc_with_exemplar(
        {"trace_id": "abc"}
    )
    r.counter("plain", "No exemplar.").inc()
    r.histogram("latency", "Latency.", buckets=[10, 100], scale=1).record_with_exemplar(
        50, {"trace_id": "t1", "span_id": "s 1"}, 1700000000.25
    )
    r.histogram("latency", labels=None).record_with_exemplar(500, {"trace_id": "t2"})
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    om = om_latest(reg).decode()
    found = {}
    for family in text_string_to_metric_families(om):
        for s in family.samples:
            if s.exemplar is not None:
                found[(s.name, s.labels.get("le"))] = s.exemplar
    assert found[("requests_total", None)].labels == {"trace_id": "abc"}
    assert found[("requests_total", None)].value == 1
    assert found[("latency_bucket", "100.0")].labels == {"span_id": "s 1", "trace_id": "t1"}
    assert float(found[("latency_bucket", "100.0")].timestamp) == 1700000000.25
    assert found[("latency_bucket", "+Inf")].value == 500
    assert len(found) == 3
    # The Prometheus text format has no place for them.
    assert " # {" not in prometheus_client.generate_latest(reg).decode()
