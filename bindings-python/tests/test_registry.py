"""Registry: get-or-create of labelled metrics, errors that register nothing, export."""

import json
import threading

import atomicperf
import pytest
from atomicperf import Counter, Gauge, Histogram, MinMax, Registry, Timer, default_registry


def test_get_or_create_returns_the_package_classes_over_one_metric():
    r = Registry()
    a = r.counter("http_requests", "Requests served.", labels={"code": "200"})
    assert type(a) is Counter
    a.inc()
    b = r.counter("http_requests", labels={"code": "200"})
    b.add(2)
    assert a.get() == b.get() == 3
    assert a == b and hash(a) == hash(b)
    assert r.counter("http_requests", labels={"code": "500"}) != a
    assert type(r.gauge("g")) is Gauge
    assert type(r.histogram("h")) is Histogram
    assert type(r.timer("t")) is Timer
    assert type(r.minmax("m")) is MinMax
    assert len(r) == 5


def test_labels_match_by_name_whatever_their_order():
    r = Registry()
    a = r.gauge("temp", labels={"room": "a", "floor": "1"})
    b = r.gauge("temp", labels={"floor": "1", "room": "a"})
    a.set(21.5)
    assert b.get() == 21.5


def test_labels_may_be_any_mapping():
    from types import MappingProxyType

    r = Registry()
    a = r.counter("c", labels=MappingProxyType({"k": "v"}))
    a.inc()
    assert r.counter("c", labels={"k": "v"}).get() == 1


def test_metrics_without_labels_accept_none_or_an_empty_dict():
    r = Registry()
    r.counter("c").inc()
    r.counter("c", labels={}).inc()
    r.counter("c", labels=None).inc()
    assert r.counter("c").get() == 3


def test_equality_is_identity_of_the_metric():
    assert Counter() != Counter()
    c = Counter()
    assert c == c
    assert c != 1
    assert len({Registry().counter("x"), Registry().counter("x")}) == 2


@pytest.mark.parametrize(
    "call, text",
    [
        (lambda r: r.counter("9lives"), "invalid metric name"),
        (lambda r: r.counter("has-dash"), "invalid metric name"),
        (lambda r: r.counter("ok", labels={"__x": "1"}), "reserved"),
        (lambda r: r.counter("ok", labels={"1x": "1"}), "invalid label name"),
        (lambda r: r.histogram("ok", labels={"le": "1"}), "reserved"),
        (lambda r: r.timer("ok", labels={"le": "1"}), "reserved"),
        (lambda r: r.histogram("ok", buckets=[1.0, 0.5]), "strictly increasing"),
        (lambda r: r.histogram("ok", buckets=[1.0, float("inf")]), "finite"),
        (lambda r: r.histogram("ok", scale=0.0), "scale must be positive"),
        (lambda r: r.histogram("ok", scale=float("nan")), "scale must be positive"),
    ],
)
def test_invalid_names_and_options_raise_value_error_and_register_nothing(call, text):
    r = Registry()
    with pytest.raises(ValueError, match=text):
        call(r)
    assert len(r) == 0
    assert r.export() == ""


def test_another_kind_or_label_set_raises_value_error():
    r = Registry()
    c = r.counter("requests", labels={"code": "200"})
    with pytest.raises(ValueError, match="registered as a counter, not a gauge"):
        r.gauge("requests", labels={"code": "200"})
    with pytest.raises(ValueError, match=r'has labels \["code"\]'):
        r.counter("requests", labels={"method": "GET"})
    with pytest.raises(ValueError, match="has labels"):
        r.counter("requests")
    with pytest.raises(ValueError, match="has labels"):
        r.counter("requests", labels={"code": "200", "method": "GET"})
    c.inc()
    assert len(r) == 1
    assert json.loads(r.export("json"))["families"][0]["series"] == [
        {"labels": {"code": "200"}, "value": 1}
    ]


@pytest.mark.parametrize(
    "labels, text",
    [
        ({"code": 200}, "label values must be str, got int for label 'code'"),
        ({1: "a"}, "label names must be str, not int"),
        ({"code": None}, "label values must be str, got NoneType"),
        ([("code", "200")], "labels must be a dict of str to str"),
        ("code=200", "labels must be a dict of str to str"),
    ],
)
def test_wrong_label_types_raise_type_error_and_register_nothing(labels, text):
    r = Registry()
    with pytest.raises(TypeError, match=text):
        r.counter("requests", labels=labels)
    assert len(r) == 0


def test_wrong_argument_types_raise_type_error():
    r = Registry()
    with pytest.raises(TypeError):
        r.counter(1)
    with pytest.raises(TypeError):
        r.counter("x", help=2)
    with pytest.raises(TypeError, match="buckets must be a sequence of numbers"):
        r.histogram("h", buckets="0.1,1")
    with pytest.raises(TypeError, match="buckets must be a sequence of numbers"):
        r.histogram("h", buckets=["a"])
    with pytest.raises(TypeError):
        r.histogram("h", scale="1")
    assert len(r) == 0


def test_default_registry_is_one_process_wide_object():
    assert default_registry() is Registry.default()
    assert default_registry() == Registry.default()
    c = default_registry().counter("test_registry_default_total_check")
    c.inc()
    assert Registry.default().counter("test_registry_default_total_check").get() == 1
    assert "Registry.default(" in repr(default_registry())


def test_named_registries_are_shared_by_name_and_apart_from_the_rest():
    a = Registry.named("test_registry_named")
    b = Registry.named("test_registry_named")
    assert a == b and a is not b
    a.counter("shared").inc()
    assert b.counter("shared").get() == 1
    assert Registry.named("test_registry_other") != a
    assert Registry.named("test_registry_other").export() == ""
    assert a != default_registry()
    assert Registry() != Registry()
    assert repr(a) == 'Registry.named("test_registry_named", families=1)'
    assert repr(Registry()) == "Registry(families=0)"


def test_export_prometheus_text():
    r = Registry()
    r.counter("http_requests", "Requests served.", labels={"code": "200"}).add(3)
    r.gauge("temperature", "Degrees.").set(21.5)
    h = r.histogram("latency_seconds", "Latency.", buckets=[0.001, 0.01])
    h.record(2_000_000)  # 2 ms in ns, exported in seconds
    text = r.export()
    assert text == r.export("prometheus")
    assert '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 3\n' in text
    assert "temperature 21.5\n" in text
    assert 'latency_seconds_bucket{le="0.001"} 0\n' in text
    assert 'latency_seconds_bucket{le="0.01"} 1\n' in text
    assert 'latency_seconds_bucket{le="+Inf"} 1\n' in text
    assert "latency_seconds_count 1\n" in text
    assert atomicperf.PROMETHEUS_CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_export_openmetrics_text_ends_with_eof():
    r = Registry()
    r.counter("jobs", "Jobs.").inc()
    text = r.export("openmetrics")
    assert "# TYPE jobs counter\njobs_total 1\n" in text
    assert text.endswith("# EOF\n")
    assert atomicperf.OPENMETRICS_CONTENT_TYPE.startswith("application/openmetrics-text")


def test_export_json_of_every_kind():
    r = Registry()
    r.counter("c", "C.", labels={"k": "v"}).inc()
    r.gauge("g").set(float("nan"))
    r.histogram("h", buckets=[1, 10], scale=1).record(5)
    t = r.timer("t")
    t.record(0.002, ok=False)
    r.minmax("m")
    doc = json.loads(r.export("json"))
    fams = {f["name"]: f for f in doc["families"]}
    assert list(fams) == ["c", "g", "h", "m", "t"]  # sorted by name
    assert fams["c"]["kind"] == "counter" and fams["c"]["help"] == "C."
    assert fams["c"]["labels"] == ["k"]
    assert fams["g"]["series"][0]["value"] == "NaN"
    hs = fams["h"]["series"][0]
    assert hs["count"] == 1 and hs["sum"] == 5
    assert hs["buckets"] == [{"le": 1, "count": 0}, {"le": 10, "count": 1}]
    ts = fams["t"]["series"][0]
    assert ts["errors"] == 1 and ts["count"] == 1
    assert ts["sum"] == pytest.approx(0.002)
    assert fams["m"]["series"][0]["min"] is None


def test_export_rejects_another_format():
    with pytest.raises(ValueError, match="format must be 'prometheus', 'openmetrics' or 'json'"):
        Registry().export("xml")
    with pytest.raises(TypeError):
        Registry().export(1)


def test_export_while_threads_record_sees_every_increment_once_they_stop():
    r = Registry()
    stop = threading.Event()

    def work(i):
        c = r.counter("work", labels={"thread": str(i)})
        while not stop.is_set():
            for _ in range(100):
                c.inc()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for _ in range(20):
        json.loads(r.export("json"))
    stop.set()
    for t in threads:
        t.join()
    doc = json.loads(r.export("json"))
    total = sum(s["value"] for s in doc["families"][0]["series"])
    assert total == sum(r.counter("work", labels={"thread": str(i)}).get() for i in range(4))


def test_concurrent_get_or_create_makes_one_metric():
    r = Registry()
    barrier = threading.Barrier(8)
    got = []

    def look_up():
        barrier.wait()
        c = r.counter("raced", labels={"a": "b"})
        c.inc()
        got.append(c)

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(c == got[0] for c in got)
    assert got[0].get() == 8


@pytest.mark.parametrize(
    "first, second",
    [
        (("counter", "x"), ("counter", "x_total")),
        (("counter", "x"), ("gauge", "x_total")),
        (("histogram", "h"), ("gauge", "h_count")),
        (("minmax", "m"), ("gauge", "m_min")),
        (("timer", "t"), ("counter", "t_errors")),
    ],
)
def test_families_whose_exported_series_collide_are_refused(first, second):
    r = Registry()
    getattr(r, first[0])(first[1])
    with pytest.raises(ValueError, match="would export series named"):
        getattr(r, second[0])(second[1])
    text = r.export("prometheus")
    assert text.count("# TYPE") == (2 if first[0] in ("timer", "minmax") else 1)


def test_a_series_limit_refuses_new_series_and_counts_them():
    r = Registry()
    assert r.series_limit is None
    r.series_limit = 2
    a = r.counter("req", labels={"user": "a"})
    r.counter("req", labels={"user": "b"})
    with pytest.raises(ValueError, match=r"series limit \(2\)"):
        r.counter("req", labels={"user": "c"})
    assert (r.series_count, r.refused_series, r.series_limit) == (2, 1, 2)
    r.counter("req", labels={"user": "a"}).inc()  # an existing series is no new one
    a.inc()
    assert a.get() == 2 and r.refused_series == 1
    r.series_limit = None
    r.counter("req", labels={"user": "c"})
    assert r.series_count == 3
