"""An ASGI app whose uvicorn workers share one set of metrics through a ``SharedRegistry``.

    cd bindings-python/examples
    uvicorn --workers 4 uvicorn_app:app
    curl -s localhost:8000/ ; curl -s localhost:8000/metrics

The ASGI twin of gunicorn_app.py, with the same metrics: every worker counts its requests, tracks
the requests it is serving in a ``livesum`` gauge (an async worker serves many at once) and
records their latency in a histogram, in one shared-memory segment; ``/metrics``, served by any
worker, exports every worker's totals in the format the scrape's ``Accept`` header negotiates
(``atomicperf.negotiate``: Prometheus text 0.0.4, OpenMetrics 1.0 or the protobuf format). uvicorn starts each worker as a new interpreter that imports this
module, which opens the segment by name; a worker that dies, even by SIGKILL, needs no cleanup,
and uvicorn's replacement adds to the same totals.

The segment is ``/dev/shm/atomicperf-<name>``, the name from ``ATOMICPERF_SEGMENT`` (default
``uvicorn-example``) and the directory from ``ATOMICPERF_SEGMENT_DIR`` (default ``/dev/shm``).
uvicorn has no master hook, so the segment outlives the server and the next one carries on
counting; ``python -c "from atomicperf import SharedRegistry as R; R.remove('uvicorn-example')"``
before starting makes it start from zero.

Routes: ``/`` answers with the pid of the worker that served it; ``/slow?seconds=S`` answers
after S seconds (at most 30); ``/metrics`` exports.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from atomicperf import SharedRegistry, negotiate

SEGMENT = os.environ.get("ATOMICPERF_SEGMENT", "uvicorn-example")
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

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def respond(send: Send, status: int, content_type: str, body: bytes) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/metrics":  # scrapes are neither counted nor in flight
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        fmt, content_type = negotiate(accept)
        await respond(send, 200, content_type, metrics.export_bytes(fmt))
        return
    start = time.perf_counter_ns()
    in_flight.inc()
    route = path if path in ("/", "/slow") else "other"
    try:
        if route == "/slow":
            try:
                query = parse_qs(scope["query_string"].decode())
                seconds = min(max(float(query["seconds"][0]), 0.0), 30.0)
            except (KeyError, ValueError):
                seconds = 1.0
            await asyncio.sleep(seconds)
        if route == "other":
            status, body = 404, b"not found\n"
        else:
            status, body = 200, f"{os.getpid()}\n".encode()
        # Counted before the response leaves: whoever has read a response finds it counted.
        latency[route].record(time.perf_counter_ns() - start)
        requests_total[route].inc()
    finally:
        in_flight.dec()
    await respond(send, status, "text/plain; charset=utf-8", body)
