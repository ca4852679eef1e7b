"""Serving atomicperf's metrics over HTTP, and bridging them into prometheus_client.

Serving, with the standard library only (no prometheus_client needed):

>>> from atomicperf import Registry
>>> from atomicperf.prometheus import make_wsgi_app, start_http_server
>>> registry = Registry()
>>> app = make_wsgi_app(registry)          # a WSGI app: mount it on /metrics
>>> server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
>>> server.shutdown(); server.server_close()

Both answer each scrape in the format its ``Accept`` header asks for, negotiated by
``atomicperf.negotiate`` exactly as the core (and so every atomicperf language) negotiates it:
the Prometheus protobuf format when the scraper asks for it (what Prometheus does when native
histograms are enabled: the only format that carries their buckets), OpenMetrics 1.0 when asked
for, Prometheus text 0.0.4 otherwise. The body is gzipped when ``Accept-Encoding`` allows it,
as prometheus_client does.

Bridging: ``Collector`` is a prometheus_client custom collector over an atomicperf registry.

>>> import prometheus_client
>>> from atomicperf import default_registry
>>> from atomicperf.prometheus import Collector
>>> prometheus_client.REGISTRY.register(Collector(default_registry()))  # doctest: +SKIP

Then ``prometheus_client.generate_latest()``, its ``start_http_server`` and its WSGI/ASGI apps
serve atomicperf's metrics beside prometheus_client's own. Each scrape reads the registry once
(``registry.export("json")``, which never blocks a recorder) and turns it into metric families:

- a counter into a ``CounterMetricFamily`` (``<name>_total``);
- a gauge into a ``GaugeMetricFamily``;
- an info into an ``InfoMetricFamily`` (``<name>_info``), an enum into a
  ``StateSetMetricFamily``;
- a histogram into a ``HistogramMetricFamily`` (cumulative ``le`` buckets, ``_sum``,
  ``_count``, in exported units: seconds for durations recorded in ns);
- a timer into a ``HistogramMetricFamily`` of seconds ``<name>`` and a ``CounterMetricFamily``
  ``<name>_errors_total``;
- a min/max into two ``GaugeMetricFamily`` ``<name>_min`` and ``<name>_max`` (series that
  recorded nothing are left out);
- a summary into a ``SummaryMetricFamily``: ``<name>{quantile="..."}`` per configured quantile
  over the summary's window (NaN while it is empty), ``_sum`` and ``_count`` over all time;
- a native histogram into a classic ``HistogramMetricFamily``: its ``classic_buckets`` (none
  unless the registry was given some), ``+Inf``, ``_sum`` and ``_count``, as the registry's own
  text export writes it. prometheus_client cannot carry the native buckets to a Prometheus
  server: its ``NativeHistogram`` sample is marked experimental, only its OpenMetrics 2.0 writer
  writes one (Prometheus asks for OpenMetrics 1.0 or protobuf, and the 1.0 writer drops the
  sample), its Prometheus text writer cannot write one, and it has no protobuf writer. Serve the
  registry with ``make_wsgi_app``/``start_http_server`` (or ``registry.export_bytes("protobuf")``)
  for the native buckets.

Exemplars (``Counter.inc_with_exemplar``, ``Histogram.record_with_exemplar``) ride on the counter's
sample and on the histogram's ``le`` buckets, as prometheus_client's families carry them (its
OpenMetrics output writes them; its Prometheus text output, like the registry's, drops them): the
JSON export has none, so a scrape that finds any in the registry's OpenMetrics export reads them
from there.

The names are those of ``registry.export("prometheus")``. prometheus_client is an optional
dependency, imported only when a ``Collector`` is made (``pip install prometheus_client``).

Pushing to a Prometheus Pushgateway, with the standard library only: ``push_to_gateway`` (PUT:
the registry replaces the group), ``pushadd_to_gateway`` (POST: it replaces only the families of
the same names) and ``delete_from_gateway`` (DELETE of the group) take prometheus_client's
arguments (``gateway, job, registry, grouping_key=None, timeout=30``), so a batch job switches by
changing its import. The group's URL is built by the core (``pushgateway_url``), as in every
atomicperf language; a refusal or an unreachable gateway raises ``PushgatewayError`` (an
``OSError``, as prometheus_client raises), a time-out ``PushgatewayTimeoutError`` (also a
``TimeoutError``).
"""

from __future__ import annotations

import gzip
import json
import math
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ._atomicperf import (
    PROMETHEUS_CONTENT_TYPE,
    Registry,
    SharedRegistry,
    default_registry,
    negotiate,
    pushgateway_url,
)

if TYPE_CHECKING:
    from prometheus_client.core import Metric

__all__ = [
    "Collector",
    "PushgatewayError",
    "PushgatewayTimeoutError",
    "delete_from_gateway",
    "make_wsgi_app",
    "push_to_gateway",
    "pushadd_to_gateway",
    "pushgateway_url",
    "start_http_server",
]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _check_registry(registry: object, who: str) -> Registry | SharedRegistry:
    if registry is None:
        return default_registry()
    if not isinstance(registry, (Registry, SharedRegistry)):
        raise TypeError(
            f"{who} needs an atomicperf.Registry or SharedRegistry, not {type(registry).__name__}"
        )
    return registry


def _gzip_accepted(accept_encoding: str) -> bool:
    for coding in accept_encoding.split(","):
        name, _, params = coding.partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and _q_is_zero(q[2:]))
    return False


def _q_is_zero(q: str) -> bool:
    try:
        return float(q) == 0.0
    except ValueError:
        return False


def make_wsgi_app(
    registry: Registry | SharedRegistry | None = None, *, disable_compression: bool = False
) -> WSGIApp:
    """A WSGI app that serves ``registry``'s metrics (every path; ``GET`` and ``HEAD``).

    Each request is answered in the format its ``Accept`` header negotiates
    (``atomicperf.negotiate``): protobuf, OpenMetrics 1.0 or Prometheus text 0.0.4, with that
    format's ``Content-Type``. The body is gzipped when ``Accept-Encoding`` allows gzip, unless
    ``disable_compression``.

    :param registry: the registry to serve; ``None`` is the process-wide default registry.
    :raises TypeError: if ``registry`` is not an atomicperf ``Registry`` or ``SharedRegistry``.
    """
    reg = _check_registry(registry, "make_wsgi_app")

    def metrics_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            body = b"method not allowed\n"
            start_response(
                "405 Method Not Allowed",
                [
                    ("Allow", "GET, HEAD"),
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        fmt, content_type = negotiate(environ.get("HTTP_ACCEPT", ""))
        body = reg.export_bytes(fmt)
        headers = [("Content-Type", content_type)]
        if not disable_compression and _gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = gzip.compress(body, compresslevel=6)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [body]

    return metrics_app


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per scrape, never outliving the process."""

    daemon_threads = True


class _SilentHandler(WSGIRequestHandler):
    """No access log on stderr for every scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _family(addr: str, port: int) -> socket.AddressFamily:
    infos = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return infos[0][0]


def start_http_server(
    port: int,
    addr: str = "0.0.0.0",
    registry: Registry | SharedRegistry | None = None,
    *,
    disable_compression: bool = False,
) -> tuple[WSGIServer, threading.Thread]:
    """Serves ``registry``'s metrics over HTTP on ``addr:port`` from a daemon thread.

    The app is ``make_wsgi_app(registry)`` (format negotiated per scrape), served by the standard
    library's ``wsgiref`` with one thread per request. Returns the server and its thread, as
    prometheus_client's ``start_http_server`` does: ``server.shutdown()`` stops it,
    ``server.server_address`` has the port (ask for port 0 to get a free one).

    :raises TypeError: if ``registry`` is not an atomicperf ``Registry`` or ``SharedRegistry``.
    :raises OSError: if the address cannot be bound.
    """
    app = make_wsgi_app(registry, disable_compression=disable_compression)

    class Server(_ThreadingWSGIServer):
        address_family = _family(addr, port)

    httpd = make_server(addr, port, app, server_class=Server, handler_class=_SilentHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="atomicperf-metrics", daemon=True)
    thread.start()
    return httpd, thread


def _prometheus_client() -> Any:
    try:
        import prometheus_client.core as core
        import prometheus_client.utils as utils
    except ImportError as e:  # pragma: no cover - exercised only without prometheus_client
        raise ImportError(
            "atomicperf.prometheus.Collector needs prometheus_client: pip install prometheus_client"
        ) from e
    return core, utils


def _number(v: int | float | str) -> float:
    # JSON has no NaN or infinities: the export spells them "NaN", "+Inf", "-Inf".
    return float(v)


class Collector:
    """A prometheus_client custom collector over an atomicperf ``Registry`` or ``SharedRegistry``.

    :param registry: the registry to expose; ``None`` is the process-wide default registry.
    """

    def __init__(self, registry: Registry | SharedRegistry | None = None) -> None:
        _prometheus_client()
        self.registry: Registry | SharedRegistry = _check_registry(registry, "Collector")

    def collect(self) -> Iterator[Metric]:
        """The registry's metrics as prometheus_client metric families (one export per call)."""
        exported = json.loads(self.registry.export("json"))
        exemplars = _exemplars(self.registry.export("openmetrics"))
        for family in exported["families"]:
            yield from _families(family, exemplars)

    def __repr__(self) -> str:
        return f"Collector({self.registry!r})"


#: An exemplar's key: the sample's name, its labels but ``le`` sorted, and ``le`` (None for a
#: counter).
_ExemplarKey = tuple[str, tuple[tuple[str, str], ...], float | None]


def _parse_labels(line: str, i: int) -> tuple[dict[str, str], int]:
    """The label set starting at ``line[i] == "{"``, and the index after its ``}``."""
    labels: dict[str, str] = {}
    i += 1
    while line[i] != "}":
        eq = line.index("=", i)
        name, i = line[i:eq], eq + 2  # past '="'
        value: list[str] = []
        while line[i] != '"':
            if line[i] == "\\":
                value.append("\n" if line[i + 1] == "n" else line[i + 1])
                i += 2
            else:
                value.append(line[i])
                i += 1
        labels[name] = "".join(value)
        i += 1
        if line[i] == ",":
            i += 1
    return labels, i + 1


def _exemplars(openmetrics: str) -> dict[_ExemplarKey, Any]:
    """The exemplars of an OpenMetrics export by sample (``name{labels} v # {labels} v [ts]``).
    A line that does not parse is left out: an exemplar is never worth a failed scrape."""
    if " # {" not in openmetrics:
        return {}
    Exemplar = _exemplar_class()
    out: dict[_ExemplarKey, Any] = {}
    for line in openmetrics.split("\n"):
        if " # {" not in line or line.startswith("#"):
            continue
        try:
            brace, space = line.find("{"), line.find(" ")
            if brace != -1 and brace < space:
                name = line[:brace]
                labels, i = _parse_labels(line, brace)
            else:
                name, labels, i = line[:space], {}, space
            # " <value> # {"
            i = line.index(" ", i + 1)
            if not line.startswith(" # {", i):
                continue
            ex_labels, i = _parse_labels(line, i + 3)
            rest = line[i:].split()
            timestamp = float(rest[1]) if len(rest) > 1 else None
            le = labels.pop("le", None)
            key = (name, tuple(sorted(labels.items())), None if le is None else float(le))
            out[key] = Exemplar(ex_labels, float(rest[0]), timestamp)
        except (ValueError, IndexError):
            continue
    return out


def _exemplar_class() -> Any:
    from prometheus_client.samples import Exemplar

    return Exemplar


def _families(f: dict[str, Any], exemplars: Mapping[_ExemplarKey, Any]) -> Iterator[Metric]:
    core, utils = _prometheus_client()
    CounterMetricFamily = core.CounterMetricFamily
    GaugeMetricFamily = core.GaugeMetricFamily
    HistogramMetricFamily = core.HistogramMetricFamily
    SummaryMetricFamily = core.SummaryMetricFamily
    # prometheus_client's bound formatter ("0.005", "+Inf"), which it leaves unannotated.
    go_float = cast(Callable[[float], str], utils.floatToGoString)
    name, kind, help_text, label_names = f["name"], f["kind"], f["help"], f["labels"]
    series = f["series"]

    def values(s: dict[str, Any]) -> list[str]:
        return [s["labels"][n] for n in label_names]

    def key(sample: str, s: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
        return sample, tuple(sorted(s["labels"].items()))

    if kind == "counter":
        # CounterMetricFamily strips a trailing _total and exposes <name>_total, as the core does.
        c = CounterMetricFamily(name, help_text, labels=label_names)
        total = name if name.endswith("_total") else f"{name}_total"
        for s in series:
            c.add_metric(values(s), s["value"], exemplar=exemplars.get((*key(total, s), None)))
        yield c
    elif kind == "gauge":
        g = GaugeMetricFamily(name, help_text, labels=label_names)
        for s in series:
            g.add_metric(values(s), _number(s["value"]))
        yield g
    elif kind == "info":
        # InfoMetricFamily appends _info: one suffix, as the core's, whether or not name has it.
        base = name[: -len("_info")] if name.endswith("_info") else name
        info = core.InfoMetricFamily(base, help_text, labels=label_names)
        for s in series:
            info.add_metric(values(s), s["info"])
        yield info
    elif kind == "enum":
        st = core.StateSetMetricFamily(name, help_text, labels=label_names)
        for s in series:
            st.add_metric(values(s), {state: state == s["state"] for state in s["states"]})
        yield st
    elif kind in ("histogram", "timer", "native_histogram"):
        # A native histogram: its classic buckets (see the module's docstring for why not its
        # native ones).
        h = HistogramMetricFamily(name, help_text, labels=label_names)
        for s in series:
            k = key(f"{name}_bucket", s)
            buckets: list[Any] = []
            for b in s["buckets"]:
                ex = exemplars.get((*k, _number(b["le"])))
                le = go_float(b["le"])
                buckets.append((le, b["count"]) if ex is None else (le, b["count"], ex))
            inf = exemplars.get((*k, math.inf))
            buckets.append(("+Inf", s["count"]) if inf is None else ("+Inf", s["count"], inf))
            h.add_metric(values(s), buckets, _number(s["sum"]))
        yield h
        if kind == "timer":
            e = CounterMetricFamily(f"{name}_errors", help_text, labels=label_names)
            for s in series:
                e.add_metric(values(s), s["errors"])
            yield e
    elif kind == "minmax":
        lo = GaugeMetricFamily(f"{name}_min", help_text, labels=label_names)
        hi = GaugeMetricFamily(f"{name}_max", help_text, labels=label_names)
        for s in series:
            if s["min"] is not None and s["max"] is not None:
                lo.add_metric(values(s), s["min"])
                hi.add_metric(values(s), s["max"])
        yield lo
        yield hi
    elif kind == "summary":
        # SummaryMetricFamily.add_metric takes count and sum only: the quantiles (over the
        # summary's window; NaN while it is empty, as client_golang exports them) are samples.
        sm = SummaryMetricFamily(name, help_text, labels=label_names)
        for s in series:
            labels = dict(zip(label_names, values(s), strict=True))
            for q in s["quantiles"]:
                value = math.nan if q["value"] is None else _number(q["value"])
                sm.add_sample(name, {**labels, "quantile": go_float(q["quantile"])}, value)
            sm.add_metric(values(s), s["count"], _number(s["sum"]))
        yield sm
    # A kind this module does not know (a newer core) is left out rather than guessed at.


# ---- Pushgateway ----------------------------------------------------------------------------

#: The most of a refusal's body that a PushgatewayError keeps.
_MAX_REASON = 64 * 1024


class PushgatewayError(OSError):
    """A push, push-add or delete that failed: the gateway answered with a status other than 2xx
    (``status`` and the gateway's reason in ``body``), or could not be reached (``status`` is
    ``None``, the cause chained). ``method`` and ``url`` name the request. An ``OSError``, as
    prometheus_client's push functions raise."""

    def __init__(
        self, message: str, *, method: str, url: str, status: int | None = None, body: str = ""
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status = status
        self.body = body


class PushgatewayTimeoutError(PushgatewayError, TimeoutError):
    """The gateway did not answer within the timeout; also a ``TimeoutError``."""


def push_to_gateway(
    gateway: str,
    job: str,
    registry: Registry | SharedRegistry | None,
    grouping_key: Mapping[str, Any] | None = None,
    timeout: float | None = 30,
) -> None:
    """Pushes ``registry`` (``None``: the default registry) to the Pushgateway at ``gateway``
    with PUT: its metrics replace every metric of the group ``job`` + ``grouping_key``.

    ``gateway`` is ``http://host:port`` or ``https://...``, optionally with a path prefix
    (without a scheme, ``http://`` is assumed). ``grouping_key`` maps label names to values
    (converted with ``str``; a ``/`` or an empty value is fine). ``timeout`` (seconds, ``None``
    for none) bounds the connection and each wait for the gateway. The body is
    ``registry.export("prometheus")``.

    Raises ``ValueError`` for an empty job, an invalid grouping label name or gateway address
    (before any request), ``PushgatewayError`` when the gateway refuses (with its status and
    reason) or cannot be reached, ``PushgatewayTimeoutError`` when it does not answer in time.
    """
    reg = _check_registry(registry, "push_to_gateway")
    _push("PUT", gateway, job, reg, grouping_key, timeout)


def pushadd_to_gateway(
    gateway: str,
    job: str,
    registry: Registry | SharedRegistry | None,
    grouping_key: Mapping[str, Any] | None = None,
    timeout: float | None = 30,
) -> None:
    """As ``push_to_gateway``, with POST: the registry's metrics replace only the group's
    families of the same names; its other families stay."""
    reg = _check_registry(registry, "pushadd_to_gateway")
    _push("POST", gateway, job, reg, grouping_key, timeout)


def delete_from_gateway(
    gateway: str,
    job: str,
    grouping_key: Mapping[str, Any] | None = None,
    timeout: float | None = 30,
) -> None:
    """Deletes the group ``job`` + ``grouping_key`` and all its metrics from the Pushgateway
    (DELETE; deleting a group that does not exist succeeds). Errors as ``push_to_gateway``."""
    _push("DELETE", gateway, job, None, grouping_key, timeout)


def _push(
    method: str,
    gateway: str,
    job: str,
    registry: Registry | SharedRegistry | None,
    grouping_key: Mapping[str, Any] | None,
    timeout: float | None,
) -> None:
    if not isinstance(gateway, str) or not isinstance(job, str):
        raise TypeError("gateway and job must be str")
    if grouping_key is not None and not isinstance(grouping_key, Mapping):
        raise TypeError(f"grouping_key must be a mapping, not {type(grouping_key).__name__}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds or None, not {timeout!r}")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    pairs = [(str(k), str(v)) for k, v in (grouping_key or {}).items()]
    url = pushgateway_url(gateway, job, pairs)
    data = None if registry is None else registry.export("prometheus").encode()
    headers = {} if data is None else {"Content-Type": PROMETHEUS_CONTENT_TYPE}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    where = f"Pushgateway {method} {url}"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(_MAX_REASON)
            status = response.status
            if 200 <= status < 300:
                return
            raise PushgatewayError(
                f"{where}: status {status}", method=method, url=url, status=status
            )
    except urllib.error.HTTPError as e:
        try:
            body = e.read(_MAX_REASON).decode("utf-8", "replace")
        except OSError:
            body = ""
        reason = body.strip() or str(e.reason)
        raise PushgatewayError(
            f"{where}: status {e.code}: {reason}", method=method, url=url, status=e.code, body=body
        ) from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise PushgatewayTimeoutError(
                f"{where}: no answer within {timeout} s", method=method, url=url
            ) from e
        raise PushgatewayError(
            f"{where}: could not reach the gateway: {e.reason}", method=method, url=url
        ) from e
    except TimeoutError as e:
        raise PushgatewayTimeoutError(
            f"{where}: no answer within {timeout} s", method=method, url=url
        ) from e
    except OSError as e:
        if isinstance(e, PushgatewayError):
            raise
        raise PushgatewayError(
            f"{where}: the connection failed: {e}", method=method, url=url
        ) from e
