"""atomicperf.prometheus.Collector inside prometheus_client's registry."""

import pytest

prometheus_client = pytest.importorskip("prometheus_client")

from atomicperf import Registry, default_registry  # noqa: E402
from atomicperf.prometheus import Collector  # noqa: E402


def filled_registry():
    r = Registry()
    r.counter("ap_requests", "Requests served.", labels={"code": "200"}).add(7)
    r.counter("ap_jobs_total", "Jobs.").inc()
    r.gauge("ap_temperature", "Degrees.", labels={"room": "a"}).set(21.5)
    h = r.histogram("ap_latency_seconds", "Latency.", buckets=[0.001, 0.01])
    h.record(500_000)  # 0.5 ms
    h.record(2_000_000)  # 2 ms
    t = r.timer("ap_handler_seconds", "Handler time.")
    t.record(0.003, ok=False)
    r.minmax("ap_queue_depth", "Queue depth.").record(4)
    r.minmax("ap_empty", "Nothing yet.")
    return r


def test_collector_in_a_prometheus_client_registry_exposes_every_kind():
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(filled_registry()))
    text = prometheus_client.generate_latest(reg).decode()
    assert "# TYPE ap_requests_total counter" in text
    assert 'ap_requests_total{code="200"} 7.0' in text
    assert "ap_jobs_total 1.0" in text
    assert "ap_jobs_total_total" not in text
    assert 'ap_temperature{room="a"} 21.5' in text
    assert "# TYPE ap_latency_seconds histogram" in text
    assert 'ap_latency_seconds_bucket{le="0.001"} 1.0' in text
    assert 'ap_latency_seconds_bucket{le="0.01"} 2.0' in text
    assert 'ap_latency_seconds_bucket{le="+Inf"} 2.0' in text
    assert "ap_latency_seconds_count 2.0" in text
    assert "ap_latency_seconds_sum 0.0025" in text
    assert "ap_handler_seconds_count 1.0" in text
    assert "ap_handler_seconds_errors_total 1.0" in text
    assert "ap_queue_depth_min 4.0" in text and "ap_queue_depth_max 4.0" in text
    assert "\nap_empty_min " not in text and "\nap_empty_max " not in text


def test_collector_reads_current_values_on_each_scrape():
    r = Registry()
    c = r.counter("ap_scraped", "Scraped.")
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    assert "ap_scraped_total 0.0" in prometheus_client.generate_latest(reg).decode()
    c.add(5)
    assert "ap_scraped_total 5.0" in prometheus_client.generate_latest(reg).decode()
    r.gauge("ap_added_later").set(1)
    assert "ap_added_later 1.0" in prometheus_client.generate_latest(reg).decode()


def test_collector_of_the_default_registry_in_the_global_prometheus_registry():
    c = default_registry().counter("ap_test_prometheus_global", "Global.", labels={"x": "y"})
    c.add(3)
    collector = Collector(default_registry())
    prometheus_client.REGISTRY.register(collector)
    try:
        text = prometheus_client.generate_latest().decode()
        assert 'ap_test_prometheus_global_total{x="y"} 3.0' in text
        # prometheus_client's own metrics are still there.
        assert "python_info" in text or "process_" in text
    finally:
        prometheus_client.REGISTRY.unregister(collector)


def test_collector_defaults_to_the_default_registry_and_checks_its_argument():
    assert Collector().registry is default_registry()
    with pytest.raises(TypeError, match="atomicperf.Registry"):
        Collector(prometheus_client.REGISTRY)


def test_special_gauge_values_survive_the_json_round_trip():
    r = Registry()
    r.gauge("ap_nan").set(float("nan"))
    r.gauge("ap_inf").set(float("inf"))
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    text = prometheus_client.generate_latest(reg).decode()
    assert "ap_nan NaN" in text
    assert "ap_inf +Inf" in text
