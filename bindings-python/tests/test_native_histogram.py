"""NativeHistogram, the registry's native histograms, the protobuf export, negotiate and the
HTTP helpers of atomicperf.prometheus.

Buckets are checked against keys known from the definition (at schema 3, bucket k holds
(2**((k-1)/8), 2**(k/8)]) and the special values against the core's own test. The protobuf
export is decoded here by hand (the delimited framing, varints, zigzag, the fields of
io.prometheus.client's metrics.proto): no protobuf package is needed.
"""

from __future__ import annotations

import gzip
import http.client
import math
import random
import struct
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from atomicperf import (
    OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
    PROTOBUF_CONTENT_TYPE,
    NativeHistogram,
    NativeSnapshot,
    Registry,
    SharedRegistry,
    negotiate,
)
from atomicperf.prometheus import make_wsgi_app, start_http_server

THRESHOLD = 2.0**-128  # the default zero threshold (client_golang's)
MAX_KEY = 1024 * 8  # bucket of sys.float_info.max at schema 3; +-inf is in the next one
PROTOBUF_ACCEPT = (
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    "encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)


def keys(h: NativeHistogram) -> list[int]:
    return [k for k, _ in h.snapshot().positive]


def key_of(v: float, **options: Any) -> int:
    h = NativeHistogram(**options)
    h.record(v)
    s = h.snapshot()
    buckets = s.positive or s.negative
    assert len(buckets) == 1 and buckets[0][1] == 1, s
    return buckets[0][0]


# --- buckets ---------------------------------------------------------------------------------


def test_powers_of_two_are_upper_bounds_and_the_next_float_starts_the_next_bucket():
    for n in range(-60, 61):
        v = 2.0**n
        assert key_of(v) == 8 * n, v
        assert key_of(math.nextafter(v, math.inf)) == 8 * n + 1, v
        assert key_of(math.nextafter(v, 0.0)) == 8 * n, v
        assert key_of(-v) == 8 * n  # in the negative buckets
    assert key_of(1.0) == 0 and key_of(2.0) == 8 and key_of(0.5) == -8


def test_every_bound_is_the_top_of_its_bucket_at_every_schema():
    for schema in range(-4, 9):
        s = NativeHistogram(schema=schema).snapshot()
        for k in range(-300, 300, 7):
            if abs(k * 2.0**-schema) > 120:
                continue  # beyond the zero threshold or far out: covered by the special values
            b = s.bucket_bound(k)
            # 2**(k * 2**-schema), to a few units in the last place (client_golang's table).
            assert b == pytest.approx(2.0 ** (k * 2.0**-schema), rel=1e-15), (schema, k)
            assert key_of(b, schema=schema) == k, (schema, k, b)
            assert key_of(math.nextafter(b, math.inf), schema=schema) == k + 1, (schema, k)


def test_values_between_bounds_land_in_the_bucket_of_the_definition():
    rng = random.Random(7)
    for _ in range(2000):
        v = 10 ** rng.uniform(-12, 12)
        k = key_of(v)
        assert 2 ** ((k - 1) / 8) < v * (1 + 1e-15) and v <= 2 ** (k / 8) * (1 + 1e-15), (v, k)


def test_zero_threshold_nan_infinities_and_the_extreme_floats():
    h = NativeHistogram()
    for v in (0.0, -0.0, THRESHOLD, -THRESHOLD, 5e-324):
        h.record(v)
    assert h.zero_count() == 5
    h.record(math.nextafter(THRESHOLD, math.inf))  # just above: the first bucket above it
    h.record(math.nextafter(-THRESHOLD, -math.inf))
    h.record(math.nan)
    h.record(math.inf)
    h.record(-math.inf)
    h.record(sys.float_info.max)
    h.record(sys.float_info.min)  # smallest normal float, 2**-1022: below the threshold
    s = h.snapshot()
    assert s.count == 12 and h.count() == 12
    assert s.zero_count == 6 and s.nan_count == 1
    assert math.isnan(s.sum) and math.isnan(h.sum())
    assert s.positive == [(-1023, 1), (MAX_KEY, 1), (MAX_KEY + 1, 1)]
    assert s.negative == [(-1023, 1), (MAX_KEY + 1, 1)]
    assert s.bucket_bound(MAX_KEY + 1) == math.inf
    assert s.bucket_bound(MAX_KEY - 1) < sys.float_info.max <= s.bucket_bound(MAX_KEY)

    # With a zero threshold of 0 only zeros are in the zero bucket; subnormals get buckets.
    z = NativeHistogram(zero_threshold=0.0)
    for v in (0.0, 5e-324, sys.float_info.min):
        z.record(v)
    s = z.snapshot()
    assert s.zero_count == 1 and s.zero_threshold == 0.0
    assert s.positive == [(-1074 * 8, 1), (-1022 * 8, 1)]


def test_dense_range_and_schema_change_where_buckets_live_not_what_is_recorded():
    values = [10 ** (i / 37) * (-1) ** i for i in range(-400, 400)]
    wide, narrow = NativeHistogram(), NativeHistogram(dense_range=(0.5, 2.0))
    for v in values:
        wide.record(v)
        narrow.record(v)
    a, b = wide.snapshot(), narrow.snapshot()
    assert a.positive == b.positive and a.negative == b.negative and a.count == len(values)
    assert narrow.dense_range == (0.5, 2.0) and wide.dense_range == (1e-9, 3600.0)
    coarse = NativeHistogram(schema=0)
    coarse.record(3.0)
    assert coarse.snapshot().positive == [(2, 1)]  # (2, 4]
    assert coarse.bucket_factor == 2.0 and coarse.relative_error == 1.0
    assert NativeHistogram().relative_error == pytest.approx(2 ** (1 / 8) - 1)


def test_record_duration_takes_ns_seconds_and_timedeltas_as_go_seconds():
    h = NativeHistogram()
    h.record_duration(1_500_000_001)  # int ns
    h.record_duration(0.25)  # float s
    h.record_duration(timedelta(milliseconds=2))
    h.record_duration(0)
    direct = NativeHistogram()
    for v in (1 + 500_000_001 / 1e9, 0.25, 0.002, 0.0):
        direct.record(v)
    assert h.snapshot() == direct.snapshot()
    assert h.zero_count() == 1 and h.count() == 4
    with pytest.raises(ValueError, match="duration"):
        h.record_duration(-1)
    with pytest.raises(ValueError, match="duration"):
        h.record_duration(math.nan)
    with pytest.raises(TypeError, match="duration"):
        h.record_duration(True)
    with pytest.raises(TypeError, match="duration"):
        h.record_duration("1s")  # type: ignore[arg-type]
    assert h.count() == 4


def test_record_takes_any_real_number_and_refuses_the_rest():
    h = NativeHistogram()
    h.record(3)
    h.record(2**70)
    h.record(-1.5)
    assert h.count() == 3
    for bad in ("1", None, b"1", [1.0]):
        with pytest.raises(TypeError):
            h.record(bad)  # type: ignore[arg-type]
    assert h.count() == 3


# --- statistics ------------------------------------------------------------------------------


def test_quantiles_are_within_the_relative_error_of_the_value_of_that_rank():
    rng = random.Random(3)
    for schema in (0, 3, 8):
        h = NativeHistogram(schema=schema)
        values = [10 ** rng.uniform(-6, 3) for _ in range(500)]
        for v in values:
            h.record(v)
        values.sort()
        for q in (0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0):
            # Prometheus' rank: the bucket holding rank q * n, counted from the bottom below
            # q = 0.5 and from the top (rank (1 - q) * n) from it on.
            n = len(values)
            if q < 0.5:
                i = min(max(math.ceil(q * n), 1), n) - 1
            else:
                i = n - min(max(math.ceil((1 - q) * n), 1), n)
            got = h.quantile(q)
            assert got is not None
            assert abs(got - values[i]) <= values[i] * h.relative_error * (1 + 1e-9), (schema, q)
            assert h.snapshot().quantile(q) == got

    latency = NativeHistogram()
    for ms in range(1, 1001):
        latency.record_duration(ms * 1_000_000)
    p99 = latency.quantile(0.99)
    assert p99 is not None and abs(p99 - 0.990) <= 0.990 * latency.relative_error


def test_quantile_edges_and_bad_ranks():
    h = NativeHistogram()
    assert h.quantile(0.5) is None and h.snapshot().quantile(0.5) is None
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError):
            h.quantile(bad)
        with pytest.raises(ValueError):
            h.snapshot().quantile(bad)
    with pytest.raises(TypeError):
        h.quantile("0.5")  # type: ignore[arg-type]
    h.record(math.nan)
    q = h.quantile(0.5)
    assert q is not None and math.isnan(q)  # only NaN recorded
    h.reset()
    h.record(0.0)
    q = h.quantile(0.5)
    assert q is not None and 0.0 <= q <= THRESHOLD
    h.record(-2.0)
    q = h.quantile(0.0)
    assert q is not None and q < -1.8


def test_snapshot_is_an_immutable_copy():
    h = NativeHistogram()
    h.record(1.0)
    h.record(-1.0)
    s = h.snapshot()
    h.record(1.0)
    assert s.count == 2 and s.positive == [(0, 1)] and s.negative == [(0, 1)]
    s.positive.append((5, 5))  # a new list each time
    assert s.positive == [(0, 1)]
    with pytest.raises(AttributeError):
        s.count = 7  # type: ignore[misc]
    assert s.to_dict() == {
        "schema": 3,
        "zero_threshold": THRESHOLD,
        "zero_count": 0,
        "nan_count": 0,
        "count": 2,
        "sum": 0.0,
        "positive": [(0, 1)],
        "negative": [(0, 1)],
    }
    assert repr(s).startswith("NativeSnapshot(schema=3, ")
    assert repr(h) == f"NativeHistogram(count=3, sum=1.0, schema=3, zero_threshold={THRESHOLD!r})"
    assert s.cumulative_count(1.0) == 2 and s.cumulative_count(-1.0) == 0
    assert h.memory_bytes() > 0


def test_merge_and_reset():
    fine, coarse, direct = (NativeHistogram(schema=s) for s in (5, 2, 2))
    rng = random.Random(11)
    for _ in range(1000):
        v = 10 ** rng.uniform(-5, 5) * rng.choice((-1, 1))
        fine.record(v)
        direct.record(v)
    coarse.merge(fine)
    a, b = coarse.snapshot(), direct.snapshot()
    assert a.positive == b.positive and a.negative == b.negative and a.count == 1000
    assert a.sum == pytest.approx(b.sum)
    with pytest.raises(ValueError, match="schema"):
        fine.merge(coarse)  # coarser buckets cannot be split
    again = NativeHistogram(schema=2)
    again.merge(fine.snapshot())  # a snapshot merges too
    assert again.snapshot().positive == b.positive
    with pytest.raises(TypeError, match="NativeHistogram or a NativeSnapshot"):
        again.merge([1.0])  # type: ignore[arg-type]
    fine.reset()
    assert fine.count() == 0 and fine.sum() == 0.0 and fine.snapshot().positive == []
    fine.record(1.0)
    assert fine.count() == 1


def test_threads_lose_no_record():
    h = NativeHistogram()
    per_thread = 50_000
    barrier = threading.Barrier(4)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            # Dense, spilled (negative, huge) and zero values.
            h.record((i % 1000) * 1e-3 if i % 3 else -float(i % 7) - 1e12 * t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert h.count() == 4 * per_thread
    assert h.snapshot().count == 4 * per_thread


def test_bad_options_raise_value_error_and_wrong_types_type_error():
    for bad in (
        {"schema": 9},
        {"schema": -5},
        {"schema": 1000},
        {"zero_threshold": -1.0},
        {"zero_threshold": math.nan},
        {"zero_threshold": math.inf},
        {"dense_range": (0.0, 1.0)},
        {"dense_range": (2.0, 1.0)},
        {"schema": 8, "dense_range": (1e-300, 1e300)},
    ):
        with pytest.raises(ValueError):
            NativeHistogram(**bad)
    with pytest.raises(ValueError, match="schema 9"):
        NativeHistogram(schema=9)
    with pytest.raises(ValueError, match="schema 1000"):
        NativeHistogram(schema=1000)
    for bad in ({"schema": "3"}, {"schema": 3.0}, {"dense_range": 1.0}, {"zero_threshold": "0"}):
        with pytest.raises(TypeError):
            NativeHistogram(**bad)
    with pytest.raises(TypeError):
        NativeHistogram(3)  # type: ignore[misc]  # keyword-only
    h = NativeHistogram(schema=8, zero_threshold=1e-3)
    assert (h.schema, h.zero_threshold) == (8, 1e-3)


def test_equality_is_identity_for_histograms():
    h = NativeHistogram()
    assert h == h and h != NativeHistogram() and hash(h) == hash(h)


# --- registry --------------------------------------------------------------------------------


def filled() -> tuple[Registry, NativeHistogram]:
    r = Registry()
    h = r.native_histogram(
        "latency_seconds", "Latency.", labels={"route": "/a"}, classic_buckets=[0.25, 1.0]
    )
    for v in (0.1, 0.25, 0.3, 1.0, 4.0, -2.0, 0.0):
        h.record(v)
    return r, h


def test_registry_get_or_create_with_labels_and_its_rules():
    r, h = filled()
    assert r.native_histogram("latency_seconds", labels={"route": "/a"}) == h
    other = r.native_histogram("latency_seconds", labels={"route": "/b"}, schema=0)
    assert other != h and other.schema == 3  # options of an existing family are ignored
    with pytest.raises(ValueError, match="label"):
        r.native_histogram("latency_seconds", labels={"code": "200"})
    with pytest.raises(ValueError):
        r.native_histogram("latency_seconds", labels={"le": "x"})
    with pytest.raises(ValueError, match="native_histogram"):
        r.histogram("latency_seconds", labels={"route": "/a"})
    with pytest.raises(ValueError):
        r.counter("latency_seconds_count")  # a name it exports
    with pytest.raises(ValueError):
        r.native_histogram("bad name")
    with pytest.raises(ValueError):
        r.native_histogram("x_seconds", schema=9)
    with pytest.raises(ValueError):
        r.native_histogram("x_seconds", classic_buckets=[1.0, 0.5])
    with pytest.raises(TypeError, match="classic_buckets must be a sequence of numbers"):
        r.native_histogram("x_seconds", classic_buckets="0.5")
    assert "x_seconds" not in r.export()  # nothing registered by the refusals
    fine = r.native_histogram("fine_seconds", schema=8, zero_threshold=1e-6, dense_range=(1, 2))
    assert (fine.schema, fine.zero_threshold, fine.dense_range) == (8, 1e-6, (1.0, 2.0))


def test_text_exports_write_the_classic_buckets():
    r, _ = filled()
    text = r.export()
    assert "# TYPE latency_seconds histogram\n" in text
    # Powers of two are native boundaries, so the classic counts are exact: 0.25 holds 0.1,
    # 0.25, 0 and -2.
    assert 'latency_seconds_bucket{route="/a",le="0.25"} 4\n' in text
    assert 'latency_seconds_bucket{route="/a",le="1"} 6\n' in text
    assert 'latency_seconds_bucket{route="/a",le="+Inf"} 7\n' in text
    assert 'latency_seconds_count{route="/a"} 7\n' in text
    assert r.export_bytes() == text.encode()
    assert r.export_bytes("openmetrics") == r.export("openmetrics").encode()
    assert r.export_bytes("json") == r.export("json").encode()
    import json

    series = json.loads(r.export("json"))["families"][0]["series"][0]
    assert series["schema"] == 3 and series["zero_count"] == 1
    assert [tuple(b) for b in series["positive"]] == [(-26, 1), (-16, 1), (-13, 1), (0, 1), (16, 1)]
    assert [tuple(b) for b in series["negative"]] == [(8, 1)]


def test_export_refuses_protobuf_as_text_and_unknown_formats():
    r, _ = filled()
    with pytest.raises(ValueError, match="export_bytes"):
        r.export("protobuf")  # type: ignore[arg-type]
    for bad in ("xml", "PROTOBUF", ""):
        with pytest.raises(ValueError, match="format"):
            r.export_bytes(bad)  # type: ignore[arg-type]


# --- protobuf, decoded by hand ---------------------------------------------------------------


def varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def fields(buf: bytes) -> list[tuple[int, Any]]:
    """(field number, value) of a message: ints for varints, floats for doubles, bytes for
    length-delimited fields."""
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(buf):
        tag, i = varint(buf, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 1:
            (v,) = struct.unpack_from("<d", buf, i)
            i += 8
        elif wire == 2:
            n, i = varint(buf, i)
            v, i = buf[i : i + n], i + n
        else:
            raise AssertionError(f"wire type {wire}")
        out.append((number, v))
    assert i == len(buf)
    return out


def delimited(body: bytes) -> list[bytes]:
    messages, i = [], 0
    while i < len(body):
        n, i = varint(body, i)
        messages.append(body[i : i + n])
        i += n
    assert i == len(body)
    return messages


def one(fs: list[tuple[int, Any]], number: int) -> Any:
    values = [v for n, v in fs if n == number]
    assert len(values) == 1, (number, fs)
    return values[0]


def every(fs: list[tuple[int, Any]], number: int) -> list[Any]:
    return [v for n, v in fs if n == number]


def decode(body: bytes) -> dict[str, dict[str, Any]]:
    """The MetricFamily messages of a protobuf export: name -> type, help and metrics (labels
    and the counter, gauge or histogram fields)."""
    families = {}
    for message in delimited(body):
        fs = fields(message)
        metrics = []
        for m in every(fs, 4):
            mf = fields(m)
            labels = {}
            for pair in every(mf, 1):
                pf = fields(pair)
                labels[one(pf, 1).decode()] = one(pf, 2).decode()
            metric: dict[str, Any] = {"labels": labels}
            for number, kind in ((2, "gauge"), (3, "counter")):
                for v in every(mf, number):
                    metric[kind] = one(fields(v), 1)
            for v in every(mf, 7):
                metric["histogram"] = histogram(fields(v))
            metrics.append(metric)
        families[one(fs, 1).decode()] = {
            "help": one(fs, 2).decode(),
            "type": dict(fs).get(3, 0),
            "metrics": metrics,
        }
    return families


def histogram(hf: list[tuple[int, Any]]) -> dict[str, Any]:
    def spans(number: int) -> list[tuple[int, int]]:
        out = []
        for s in every(hf, number):
            sf = dict(fields(s))
            out.append((zigzag(sf.get(1, 0)), sf.get(2, 0)))
        return out

    return {
        "count": one(hf, 1),
        "sum": one(hf, 2),
        "buckets": [(dict(fields(b))[2], dict(fields(b))[1]) for b in every(hf, 3)],
        "schema": zigzag(one(hf, 5)),
        "zero_threshold": one(hf, 6),
        "zero_count": one(hf, 7),
        "negative": buckets_of(spans(9), [zigzag(d) for d in every(hf, 10)]),
        "positive": buckets_of(spans(12), [zigzag(d) for d in every(hf, 13)]),
        "positive_spans": spans(12),
    }


def buckets_of(spans: list[tuple[int, int]], deltas: list[int]) -> list[tuple[int, int]]:
    """(key, count) of the non-empty buckets the spans and deltas encode."""
    out, key, count, d = [], 0, 0, iter(deltas)
    for offset, length in spans:
        key += offset
        for _ in range(length):
            count += next(d)
            if count:
                out.append((key, count))
            key += 1
    assert next(d, None) is None
    return out


def test_protobuf_export_carries_the_native_buckets():
    r, h = filled()
    r.counter("requests", "Requests.").add(3)
    r.gauge("temperature", "Degrees.").set(21.5)
    body = r.export_bytes("protobuf")
    families = decode(body)
    assert set(families) == {"latency_seconds", "requests_total", "temperature"}
    assert families["requests_total"]["type"] == 0
    assert families["requests_total"]["metrics"][0]["counter"] == 3.0
    assert families["temperature"]["metrics"][0]["gauge"] == 21.5
    native = families["latency_seconds"]
    assert native["type"] == 4 and native["help"] == "Latency."
    (m,) = native["metrics"]
    assert m["labels"] == {"route": "/a"}
    s, got = h.snapshot(), m["histogram"]
    assert got["count"] == s.count == 7 and got["sum"] == s.sum
    assert got["schema"] == 3 and got["zero_threshold"] == THRESHOLD and got["zero_count"] == 1
    assert got["positive"] == s.positive and got["negative"] == s.negative
    assert got["buckets"] == [(0.25, 4), (1.0, 6)]  # the classic buckets beside them


def test_protobuf_spans_fill_gaps_of_two_as_client_golang_does():
    h = Registry()
    n = h.native_histogram("gaps")
    # Keys 0, 1, 3 (a gap of one: filled) and 7 (a gap of three: a new span).
    for v in (1.0, 2 ** (0.5 / 8), 2 ** (2.5 / 8), 2 ** (6.5 / 8)):
        n.record(v)
    got = decode(h.export_bytes("protobuf"))["gaps"]["metrics"][0]["histogram"]
    assert got["positive_spans"] == [(0, 4), (3, 1)]
    assert got["positive"] == n.snapshot().positive == [(0, 1), (1, 1), (3, 1), (7, 1)]


def test_shared_registry_exports_protobuf_too(tmp_path: Path):
    shared = SharedRegistry("native-test", dir=str(tmp_path))
    try:
        shared.counter("jobs", "Jobs.", labels={"q": "a"}).add(5)
        families = decode(shared.export_bytes("protobuf"))
        assert families["jobs_total"]["metrics"][0] == {"labels": {"q": "a"}, "counter": 5.0}
        assert shared.export_bytes("prometheus") == shared.export().encode()
        with pytest.raises(ValueError, match="export_bytes"):
            shared.export("protobuf")  # type: ignore[arg-type]
        assert not hasattr(shared, "native_histogram")  # not in shared registries yet
    finally:
        shared.unlink()


# --- negotiate -------------------------------------------------------------------------------

# The cases of the core's accept_headers_negotiate_as_prometheus_does, word for word.
NEGOTIATE_CASES = [
    ("", "prometheus"),
    ("*/*", "prometheus"),
    ("text/plain;version=0.0.4", "prometheus"),
    ("application/openmetrics-text;version=1.0.0", "openmetrics"),
    (
        "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9",
        "prometheus",
    ),
    (
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3",
        "protobuf",
    ),
    # Protobuf without the message or the delimited encoding is not what we write.
    ("application/vnd.google.protobuf;encoding=delimited", "prometheus"),
    (
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
        "prometheus",
    ),
    ("application/json", "prometheus"),
    ("application/openmetrics-text;q=0,text/plain;q=0.1", "prometheus"),
    ("APPLICATION/OPENMETRICS-TEXT; q=0.8", "openmetrics"),
]

CONTENT_TYPES = {
    "prometheus": PROMETHEUS_CONTENT_TYPE,
    "openmetrics": OPENMETRICS_CONTENT_TYPE,
    "protobuf": PROTOBUF_CONTENT_TYPE,
}


@pytest.mark.parametrize(("accept", "want"), NEGOTIATE_CASES)
def test_negotiate_as_the_core_does(accept: str, want: str):
    assert negotiate(accept) == (want, CONTENT_TYPES[want])


def test_negotiate_what_prometheus_sends_with_native_histograms_enabled():
    assert negotiate(PROTOBUF_ACCEPT) == ("protobuf", PROTOBUF_CONTENT_TYPE)
    assert PROTOBUF_CONTENT_TYPE == (
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
        "encoding=delimited"
    )
    with pytest.raises(TypeError):
        negotiate(None)  # type: ignore[arg-type]


# --- HTTP helpers ----------------------------------------------------------------------------


def call(app: Any, **environ: str) -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    body = b"".join(app({"REQUEST_METHOD": "GET", **environ}, start_response))
    return got["status"], got["headers"], body


def test_wsgi_app_serves_the_negotiated_format():
    r, h = filled()
    app = make_wsgi_app(r)
    status, headers, body = call(app, HTTP_ACCEPT=PROTOBUF_ACCEPT)
    assert status == "200 OK" and headers["Content-Type"] == PROTOBUF_CONTENT_TYPE
    assert headers["Content-Length"] == str(len(body))
    assert decode(body)["latency_seconds"]["metrics"][0]["histogram"]["positive"] == (
        h.snapshot().positive
    )
    status, headers, body = call(app)
    assert headers["Content-Type"] == PROMETHEUS_CONTENT_TYPE and body == r.export_bytes()
    _, headers, body = call(app, HTTP_ACCEPT="application/openmetrics-text;version=1.0.0")
    assert headers["Content-Type"] == OPENMETRICS_CONTENT_TYPE and body.endswith(b"# EOF\n")
    _, headers, body = call(app, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == r.export_bytes()
    _, headers, body = call(app, HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert "Content-Encoding" not in headers
    quiet = make_wsgi_app(r, disable_compression=True)
    assert "Content-Encoding" not in call(quiet, HTTP_ACCEPT_ENCODING="gzip")[1]
    status, headers, body = call(app, REQUEST_METHOD="HEAD")
    assert status == "200 OK" and body == b"" and int(headers["Content-Length"]) > 0
    status, headers, _ = call(app, REQUEST_METHOD="POST")
    assert status.startswith("405") and headers["Allow"] == "GET, HEAD"
    with pytest.raises(TypeError, match="atomicperf.Registry"):
        make_wsgi_app({})  # type: ignore[arg-type]


def test_start_http_server_serves_protobuf_to_a_protobuf_scrape_and_text_otherwise():
    r, h = filled()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=r)
    try:
        port = server.server_address[1]

        def get(headers: dict[str, str]) -> tuple[int, str | None, str | None, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/metrics", headers=headers)
                resp = conn.getresponse()
                return (
                    resp.status,
                    resp.getheader("Content-Type"),
                    resp.getheader("Content-Encoding"),
                    resp.read(),
                )
            finally:
                conn.close()

        status, content_type, _, body = get({"Accept": PROTOBUF_ACCEPT})
        assert status == 200 and content_type == PROTOBUF_CONTENT_TYPE
        got = decode(body)["latency_seconds"]["metrics"][0]["histogram"]
        assert got["positive"] == h.snapshot().positive
        status, content_type, _, body = get({})
        assert status == 200 and content_type == PROMETHEUS_CONTENT_TYPE
        assert 'latency_seconds_bucket{route="/a",le="0.25"} 4' in body.decode()
        _, content_type, encoding, body = get(
            {"Accept": PROTOBUF_ACCEPT, "Accept-Encoding": "gzip"}
        )
        assert content_type == PROTOBUF_CONTENT_TYPE and encoding == "gzip"
        assert decode(gzip.decompress(body))["latency_seconds"]["type"] == 4
    finally:
        server.shutdown()
        server.server_close()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_collector_exports_native_histograms_as_classic_histograms():
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector

    r, _ = filled()
    r.native_histogram("empty_seconds", "No classic buckets.").record(math.nan)
    reg = prometheus_client.CollectorRegistry()
    reg.register(Collector(r))
    text = prometheus_client.generate_latest(reg).decode()
    assert "# TYPE latency_seconds histogram" in text
    assert 'latency_seconds_bucket{le="0.25",route="/a"} 4.0' in text
    assert 'latency_seconds_bucket{le="1.0",route="/a"} 6.0' in text
    assert 'latency_seconds_bucket{le="+Inf",route="/a"} 7.0' in text
    assert 'latency_seconds_count{route="/a"} 7.0' in text
    assert 'latency_seconds_sum{route="/a"} 3.6' in text
    assert 'empty_seconds_bucket{le="+Inf"} 1.0' in text and "empty_seconds_sum NaN" in text
    om = prometheus_client.openmetrics.exposition.generate_latest(reg).decode()
    assert 'latency_seconds_bucket{le="0.25",route="/a"} 4.0' in om


def test_the_http_helpers_need_no_prometheus_client():
    import subprocess

    code = """
import sys
sys.modules["prometheus_client"] = None  # as if not installed
from atomicperf import Registry
from atomicperf.prometheus import Collector, make_wsgi_app
r = Registry()
r.counter("jobs").inc()
out = []
body = make_wsgi_app(r)({"REQUEST_METHOD": "GET"}, lambda status, headers: out.append(status))
assert out == ["200 OK"] and b"jobs_total 1" in b"".join(body)
try:
    Collector(r)
except ImportError as e:
    assert "pip install prometheus_client" in str(e)
else:
    raise AssertionError("Collector without prometheus_client")
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_snapshot_class_is_exported_and_not_constructible():
    assert NativeSnapshot.__module__ == "atomicperf"
    with pytest.raises(TypeError):
        NativeSnapshot()  # type: ignore[call-arg]
