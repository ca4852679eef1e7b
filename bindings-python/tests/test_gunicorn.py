"""examples/gunicorn_app.py under a real gunicorn with four sync workers, on loopback.

Requests go over real connections (one per request, so the workers take turns), and /metrics,
whichever worker serves it, must report every worker's totals. A worker killed with SIGKILL in
the middle of a load (no hook runs) must leave the totals exact and rising, and its in-flight
request must leave the livesum gauge once it is dead.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
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
from atomicperf import OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE

pytest.importorskip("gunicorn")

WORKERS = 4


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    args = ["-m", "gunicorn", "-c", "gunicorn_conf.py", "-w", str(WORKERS)]
    args += ["-b", "127.0.0.1:{port}", "--graceful-timeout", "2", "gunicorn_app:app"]
    with serve([sys.executable, *args], tmp_path, WORKERS) as s:
        yield s
    # gunicorn_conf.py's on_exit removed the segment.
    assert not s.segment.exists()


def test_every_worker_counts_into_the_totals_any_worker_exports(server: Server) -> None:
    served_by: list[int] = []
    errors: list[str] = []
    load(server, served_by, errors, requests=2000)
    assert errors == []
    assert len(served_by) == 2000
    assert len(set(served_by)) > 1, "one worker served everything"
    assert set(served_by) <= server.workers()
    # The totals of all four workers, from whichever worker answers.
    for _ in range(8):
        text = server.scrape()
        assert sample(text, REQUESTS) == 2000
        assert sample(text, LATENCY_COUNT) == 2000
        assert sample(text, IN_FLIGHT) == 0
    status, content_type, body = server.get("/metrics", accept="application/openmetrics-text")
    assert (status, content_type) == (200, OPENMETRICS_CONTENT_TYPE)
    assert body.endswith("# EOF\n") and sample(body, REQUESTS) == 2000
    assert server.get("/metrics")[1] == PROMETHEUS_CONTENT_TYPE
    # What Prometheus asks for when it scrapes native histograms: the protobuf format.
    status, content_type, body = server.get("/metrics", accept=PROTOBUF_ACCEPT)
    assert (status, content_type) == (200, PROTOBUF_CONTENT_TYPE)
    assert "http_requests_total" in body and "# TYPE" not in body
    assert server.get("/nothing-here")[0] == 404
    assert sample(server.scrape(), 'http_requests_total{route="other"}') == 1


def park_a_worker(server: Server) -> tuple[socket.socket, int]:
    """Starts a long /slow request; returns its connection and the pid of the worker serving it
    (the first line of the body, sent at once)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"GET /slow?seconds=20 HTTP/1.0\r\n\r\n")  # 1.0: the body comes unchunked
    received = b""
    while b"\n" not in received.partition(b"\r\n\r\n")[2]:
        chunk = s.recv(4096)
        assert chunk, f"connection closed: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    return s, int(body.split(b"\n")[0])


def test_a_worker_killed_mid_load_leaves_exact_rising_totals(server: Server) -> None:
    slow, victim = park_a_worker(server)
    try:
        assert victim in server.workers()
        text = server.scrape()
        assert sample(text, IN_FLIGHT) == 1  # the parked request
        assert sample(text, REQUESTS) == 0

        served_by: list[int] = []
        errors: list[str] = []
        seen: list[tuple[float, float]] = []
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                t = server.scrape()
                seen.append((sample(t, REQUESTS) or 0, sample(t, LATENCY_COUNT) or 0))
                time.sleep(0.005)

        poller = threading.Thread(target=poll)
        stop = threading.Event()
        loader = threading.Thread(target=load, args=(server, served_by, errors, None, stop))
        poller.start()
        loader.start()
        try:
            wait_for("500 answers", lambda: len(served_by) >= 500)
            os.kill(victim, signal.SIGKILL)  # no hook, no cleanup
            at_kill = len(served_by)
            # gunicorn replaces the worker while the load and the scrapes go on.
            wait_for(
                "a new worker and 500 more answers",
                lambda: (
                    len(served_by) >= at_kill + 500
                    and victim not in (w := server.workers())
                    and len(w) == WORKERS
                ),
            )
        finally:
            stop.set()
            loader.join(60)
            done.set()
            poller.join(60)

        assert errors == []
        assert slow.recv(4096) == b""  # the parked request died with its worker
        assert len(seen) > 3
        for (n0, c0), (n1, c1) in pairwise(seen):
            assert n0 <= n1 and c0 <= c1, f"a total went back: {seen}"
        text = server.scrape()
        assert sample(text, REQUESTS) == len(served_by)
        assert sample(text, LATENCY_COUNT) == len(served_by)
        # The dead worker's in-flight request left the livesum by itself; it was never counted.
        assert sample(text, IN_FLIGHT) == 0
        assert sample(text, 'http_requests_total{route="/slow"}') == 0
    finally:
        slow.close()
