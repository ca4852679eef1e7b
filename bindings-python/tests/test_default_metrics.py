"""Registry.register_default_metrics: the process metrics and prometheus_client's Python ones."""

import gc
import platform
import sys

import pytest
from atomicperf import Registry

linux = pytest.mark.skipif(sys.platform != "linux", reason="process metrics read /proc")


def sample(text: str, series: str) -> float:
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == series:
            return float(value)
    raise AssertionError(f"no sample {series} in\n{text}")


def vm_rss() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@linux
def test_default_metrics_are_exported_with_values_of_the_moment():
    r = Registry()
    r.register_default_metrics()
    r.register_default_metrics()  # nothing more
    text = r.export()
    for name in (
        "process_cpu_seconds_total",
        "python_gc_objects_collected_total",
        "python_gc_objects_uncollectable_total",
        "python_gc_collections_total",
    ):
        assert f"# TYPE {name} counter\n" in text
    for name in (
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
        "python_info",
    ):
        assert f"# TYPE {name} gauge\n" in text
    rss = sample(text, "process_resident_memory_bytes")
    assert vm_rss() / 2 < rss < vm_rss() * 2
    major, minor, patchlevel = platform.python_version_tuple()
    info = (
        f'python_info{{implementation="{platform.python_implementation()}",major="{major}",'
        f'minor="{minor}",patchlevel="{patchlevel}",version="{platform.python_version()}"}} 1'
    )
    assert info in text
    # gc counts as gc.get_stats() has them at the export (no collection in between).
    gc.disable()
    try:
        gc.collect()
        text = r.export()
        for gen, stats in enumerate(gc.get_stats()):
            labels = f'{{generation="{gen}"}}'
            assert sample(text, "python_gc_collections_total" + labels) == stats["collections"]
            assert sample(text, "python_gc_objects_collected_total" + labels) == stats["collected"]
        before = sample(text, 'python_gc_collections_total{generation="2"}')
        gc.collect()
        after = sample(r.export(), 'python_gc_collections_total{generation="2"}')
        assert after == before + 1
    finally:
        gc.enable()
    # Open files show at the next export.
    fds = sample(r.export(), "process_open_fds")
    files = [open("/proc/self/stat") for _ in range(16)]  # noqa: SIM115
    try:
        assert sample(r.export_bytes("prometheus").decode(), "process_open_fds") >= fds + 16
    finally:
        for f in files:
            f.close()


@linux
def test_names_and_help_are_prometheus_clients():
    prometheus_client = pytest.importorskip("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    r = Registry()
    r.register_default_metrics()
    ours = {f.name: (f.type, f.documentation) for f in text_string_to_metric_families(r.export())}
    # prometheus_client's default registry holds its process, platform and gc collectors.
    theirs = {
        f.name: (f.type, f.documentation)
        for f in prometheus_client.REGISTRY.collect()
        if f.name.startswith(("process_", "python_"))
    }
    assert theirs  # its collectors are there
    assert ours == theirs
    # And in OpenMetrics, through prometheus_client's parser.
    from prometheus_client.openmetrics.parser import (
        text_string_to_metric_families as openmetrics_families,
    )

    om = {f.name: f.type for f in openmetrics_families(r.export("openmetrics"))}
    assert om["process_cpu_seconds"] == "counter"
    assert om["python_gc_collections"] == "counter"


@linux
def test_collector_and_json_carry_them():
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector

    r = Registry()
    r.register_default_metrics()
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    text = prometheus_client.generate_latest(reg).decode()
    assert "# TYPE python_gc_collections_total counter" in text
    assert 'python_gc_collections_total{generation="0"}' in text
    assert "process_cpu_seconds_total " in text


@linux
def test_names_are_taken_both_ways():
    r = Registry()
    r.register_default_metrics()
    with pytest.raises(ValueError, match="python_info"):
        r.gauge("python_info")
    with pytest.raises(ValueError, match="python_gc_collections"):
        r.counter("python_gc_collections", labels={"generation": "0"})
    with pytest.raises(ValueError, match="process_open_fds"):
        r.gauge("process_open_fds")
    mine = Registry()
    mine.gauge("process_max_fds").set(1)
    with pytest.raises(ValueError, match="process_max_fds"):
        mine.register_default_metrics()
    assert len(mine) == 1
    mine = Registry()
    mine.counter("python_gc_collections", labels={"generation": "0"})
    with pytest.raises(ValueError, match="python_gc_collections"):
        mine.register_default_metrics()


@pytest.mark.skipif(sys.platform == "linux", reason="Linux has /proc")
def test_other_platforms_say_so():
    with pytest.raises(ValueError, match="only Linux"):
        Registry().register_default_metrics()
