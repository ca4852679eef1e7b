"""The harness of test_gunicorn.py and test_uvicorn.py: a real server of an app in examples/ on
loopback, one connection per request, and its worker processes read from /proc."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REQUESTS = 'http_requests_total{route="/"}'
LATENCY_COUNT = 'http_request_duration_seconds_count{route="/"}'
IN_FLIGHT = "http_requests_in_flight"
PROTOBUF_ACCEPT = (
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
    "q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3"
)


def sample(text: str, series: str) -> float | None:
    """The value of the sample named ``series`` (name and labels) in a text exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line[len(series) + 1 :])
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def children(pid: int, marker: bytes = b"") -> set[int]:
    """The live (not zombie) child processes of ``pid`` whose command line holds ``marker``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == pid and state not in "ZX" and marker in cmdline:
            found.add(int(entry))
    return found


def wait_for(what: str, check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    segment: Path
    worker_marker: bytes  # in the command line of a worker, not of the server's other children

    def get(self, path: str, accept: str | None = None) -> tuple[int, str, str]:
        """One request on its own connection: status, content type, body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Connection": "close"}
            if accept:
                headers["Accept"] = accept
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            # A protobuf body is not UTF-8; its names still read as text.
            return r.status, r.getheader("Content-Type", ""), r.read().decode(errors="replace")
        finally:
            conn.close()

    def scrape(self) -> str:
        status, _, body = self.get("/metrics")
        assert status == 200
        return body

    def workers(self) -> set[int]:
        return children(self.proc.pid, self.worker_marker)


@contextlib.contextmanager
def serve(
    args: list[str], tmp_path: Path, workers: int, worker_marker: bytes = b""
) -> Iterator[Server]:
    """Runs ``args`` (a server command line; ``{port}`` is replaced by a free port) in examples/
    with the app's segment in ``tmp_path``, until it answers /metrics with ``workers`` workers."""
    name = f"pytest-{os.getpid()}-{time.monotonic_ns()}"
    port = free_port()
    env = {
        **os.environ,
        "ATOMICPERF_SEGMENT": name,
        "ATOMICPERF_SEGMENT_DIR": str(tmp_path),
        "HOME": str(tmp_path),  # where a recent gunicorn puts its control socket
    }
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [a.replace("{port}", str(port)) for a in args],
            cwd=EXAMPLES,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        s = Server(proc, port, tmp_path / f"atomicperf-{name}", worker_marker)
        try:

            def up() -> bool:
                assert proc.poll() is None, log_path.read_text()
                try:
                    return len(s.workers()) == workers and s.get("/metrics")[0] == 200
                except OSError:
                    return False

            wait_for("the server to serve", up)
            yield s
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            # The server ran in a process group of its own: a worker it did not stop in time
            # (or started while stopping) is not left running.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def load(
    server: Server,
    served_by: list[int],
    errors: list[str],
    requests: int | None = None,
    stop: threading.Event | None = None,
    clients: int = 4,
) -> None:
    """GET / from ``clients`` threads, ``requests`` in all or until ``stop`` is set; each
    answer's worker pid goes to ``served_by``."""
    claim = iter(range(requests)) if requests is not None else None
    lock = threading.Lock()

    def more() -> bool:
        if stop is not None and stop.is_set():
            return False
        with lock:
            return claim is None or next(claim, None) is not None

    def client() -> None:
        while more():
            try:
                status, _, body = server.get("/")
                assert status == 200
                served_by.append(int(body))
            except (OSError, AssertionError, ValueError) as e:
                errors.append(repr(e))

    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
