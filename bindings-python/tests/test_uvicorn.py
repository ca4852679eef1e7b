"""examples/uvicorn_app.py under a real ``uvicorn --workers 2``, on loopback.

uvicorn's workers are new interpreters (multiprocessing "spawn") that open the segment by name.
Every worker SIGKILLed while a request is in flight: the totals stay, the in-flight gauge drops
the dead, and the workers uvicorn starts in their place add to the same totals.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _servers import (
    IN_FLIGHT,
    LATENCY_COUNT,
    PROTOBUF_ACCEPT,
    REQUESTS,
    Server,
    load,
    sample,
    serve,
    wait_for,
)
from atomicperf import OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE

pytest.importorskip("uvicorn")

WORKERS = 2


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    args = ["-m", "uvicorn", "--workers", str(WORKERS), "--host", "127.0.0.1"]
    args += ["--port", "{port}", "--timeout-graceful-shutdown", "1", "uvicorn_app:app"]
    with serve([sys.executable, *args], tmp_path, WORKERS, worker_marker=b"spawn_main") as s:
        yield s


def test_workers_killed_with_a_request_in_flight_leave_the_totals(server: Server) -> None:
    served_by: list[int] = []
    errors: list[str] = []
    load(server, served_by, errors, requests=400)
    assert errors == [] and len(served_by) == 400
    text = server.scrape()
    assert sample(text, REQUESTS) == sample(text, LATENCY_COUNT) == 400
    assert sample(text, IN_FLIGHT) == 0
    # The scrape's Accept header picks the format (atomicperf.negotiate).
    status, content_type, body = server.get("/metrics", accept=PROTOBUF_ACCEPT)
    assert (status, content_type) == (200, PROTOBUF_CONTENT_TYPE)
    assert "http_requests_total" in body and "# TYPE" not in body
    accept = "application/openmetrics-text;version=1.0.0"
    assert server.get("/metrics", accept=accept)[1] == OPENMETRICS_CONTENT_TYPE

    slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        slow.sendall(b"GET /slow?seconds=20 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        wait_for("the slow request", lambda: sample(server.scrape(), IN_FLIGHT) == 1)
        old = server.workers()
        for pid in old:
            os.kill(pid, signal.SIGKILL)  # no hook, no cleanup
        assert slow.recv(4096) == b""  # the request died with its worker
        wait_for(
            "new workers",
            lambda: len(new := server.workers()) == WORKERS and not new & old,
            timeout=20,
        )
        text = server.scrape()  # from a new worker
        assert sample(text, REQUESTS) == 400
        assert sample(text, IN_FLIGHT) == 0  # the dead worker's request left by itself
        assert sample(text, 'http_requests_total{route="/slow"}') == 0  # never answered
    finally:
        slow.close()

    load(server, served_by, errors, requests=100)
    assert errors == [] and set(served_by[400:]) <= server.workers()
    assert sample(server.scrape(), REQUESTS) == 500
