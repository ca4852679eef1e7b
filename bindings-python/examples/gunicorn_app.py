"""A WSGI app whose gunicorn workers share one set of metrics through a ``SharedRegistry``.

    cd bindings-python/examples
    gunicorn -c gunicorn_conf.py -w 4 gunicorn_app:app
    curl -s localhost:8000/ ; curl -s localhost:8000/metrics

Every worker counts its requests, tracks the requests it is serving in a ``livesum`` gauge and
records their latency in a histogram, all in one shared-memory segment; ``/metrics``, served by
whichever worker accepts the scrape, exports every worker's totals in the format the scrape's
``Accept`` header negotiates (``atomicperf.prometheus.make_wsgi_app``: Prometheus text 0.0.4,
OpenMetrics 1.0 or the protobuf format, as Prometheus asks for them). Nothing runs when a worker dies: a
worker killed with SIGKILL keeps its counts in the totals, and the ``livesum`` gauge drops its
value by itself. No ``child_exit`` hook, no ``mark_process_dead``, no directory of files to
merge or wipe. (gunicorn_conf.py only starts each server on an empty segment and removes it on
shutdown; without it, the counts carry on from the previous run.)

The segment is ``/dev/shm/atomicperf-<name>``, the name from ``ATOMICPERF_SEGMENT`` (default
``gunicorn-example``) and the directory from ``ATOMICPERF_SEGMENT_DIR`` (default ``/dev/shm``).
Each worker opens it by name when it imports this module; with ``--preload`` the master opens it
before forking and the workers use its handles, which works as well.

Routes: ``/`` answers at once with the pid of the worker that served it; ``/slow?seconds=S``
sends its first line (the worker's pid) at once and the rest after S seconds (at most 30), a
request that stays in flight; ``/metrics`` exports.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from atomicperf import SharedRegistry
from atomicperf.prometheus import make_wsgi_app

SEGMENT = os.environ.get("ATOMICPERF_SEGMENT", "gunicorn-example")
SEGMENT_DIR = os.environ.get("ATOMICPERF_SEGMENT_DIR") or None

metrics = SharedRegistry(SEGMENT, dir=SEGMENT_DIR)
ROUTES = ("/", "/slow", "other")
# One handle per series, made once: a request pays only for the increments.
requests_total = {
    r: metrics.counter("http_requests", "HTTP requests answered.", labels={"route": r})
    for r in ROUTES
}
latency = {
    r: metrics.histogram(
        "http_request_duration_seconds", "Time to answer a request.", labels={"route": r}
    )
    for r in ROUTES
}
# livesum: the sum of the live workers' values; a dead worker's value leaves the sum by itself.
in_flight = metrics.gauge(
    "http_requests_in_flight", "Requests being answered, every worker.", mode="livesum"
)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

# Answers each scrape in the format its Accept header negotiates (atomicperf.negotiate).
serve_metrics = make_wsgi_app(metrics)


def done(route: str, start: int) -> None:
    latency[route].record(time.perf_counter_ns() - start)
    requests_total[route].inc()
    in_flight.dec()


class SlowBody:
    """The body of ``/slow``: its first line at once (gunicorn writes each chunk as it comes),
    the rest after ``seconds``. The request is counted when the server closes the body, as WSGI
    servers do once it is sent or the client is gone."""

    def __init__(self, seconds: float, start: int) -> None:
        self.seconds, self.start = seconds, start

    def __iter__(self) -> Iterator[bytes]:
        yield f"{os.getpid()}\n".encode()
        time.sleep(self.seconds)
        yield b"done\n"

    def close(self) -> None:
        done("/slow", self.start)


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path == "/metrics":  # scrapes are neither counted nor in flight
        return serve_metrics(environ, start_response)
    start = time.perf_counter_ns()
    in_flight.inc()
    if path == "/slow":
        try:
            seconds = min(max(float(parse_qs(environ["QUERY_STRING"])["seconds"][0]), 0.0), 30.0)
        except (KeyError, ValueError):
            seconds = 1.0
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return SlowBody(seconds, start)
    route, status, body = "other", "404 Not Found", b"not found\n"
    if path == "/":
        route, status, body = "/", "200 OK", f"{os.getpid()}\n".encode()
    try:
        start_response(
            status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]
    finally:
        # Counted before the response leaves: whoever has read a response finds it counted.
        done(route, start)
