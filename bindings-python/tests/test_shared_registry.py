"""SharedRegistry: metrics shared by Python processes through one segment.

Processes come from multiprocessing: "spawn" children open the registry by name on their own
(as separate programs would), "fork" children use handles their parent created before the fork
(as a pre-fork server's workers do); the worker restarts fork with os.fork itself.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from atomicperf import Counter, Gauge, Histogram, Registry, SharedRegistry, Timer

PROCESSES = 4
INCREMENTS = 50_000


def sample(text: str, series: str) -> float | None:
    """The value of the sample named ``series`` (name and labels) in a text exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line[len(series) + 1 :])
    return None


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "segment")


def count_in_a_new_process(path: str, n: int) -> None:
    r = SharedRegistry(path, create=False)
    jobs = r.counter("jobs", "Jobs done.", labels={"queue": "mail"})
    latency = r.histogram("job_seconds", "Job time.")
    for _ in range(n):
        jobs.inc()
    for _ in range(1000):
        latency.record(2_000_000)


def test_processes_count_exactly_into_one_series(path: str) -> None:
    r = SharedRegistry(path)
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=count_in_a_new_process, args=(path, INCREMENTS))
        for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    text = r.export()
    assert sample(text, 'jobs_total{queue="mail"}') == PROCESSES * INCREMENTS
    assert sample(text, "job_seconds_count") == PROCESSES * 1000
    assert sample(text, "job_seconds_sum") == pytest.approx(PROCESSES * 1000 * 0.002)
    # The parent's own handle is the same series.
    assert r.counter("jobs", labels={"queue": "mail"}).get() == PROCESSES * INCREMENTS
    assert json.loads(r.export("json"))["families"][0]["name"] == "job_seconds"


def busy_until_released(busy: Gauge, served: Counter, ready: int, hold: int) -> None:
    busy.inc()  # this process's own value, from 0
    for _ in range(1000):
        served.inc()
    os.write(ready, b"r")
    os.read(hold, 1)  # until the parent writes
    busy.dec()


def read_byte(fd: int, timeout: float = 60) -> bytes:
    ready, _, _ = select.select([fd], [], [], timeout)
    assert ready, "timed out"
    return os.read(fd, 1)


def test_a_livesum_gauge_drops_a_process_killed_with_sigkill(path: str) -> None:
    r = SharedRegistry(path)
    # Created before the fork, as a pre-fork server's master does.
    busy = r.gauge("busy", "Busy workers.", mode="livesum")
    served = r.counter("served")
    # Plain pipes, not multiprocessing's queues and events: a process killed while it holds
    # one of their locks would leave the lock held for ever.
    ready_r, ready_w = os.pipe()
    hold_r, hold_w = os.pipe()
    ctx = multiprocessing.get_context("fork")
    workers = [
        ctx.Process(target=busy_until_released, args=(busy, served, ready_w, hold_r))
        for _ in range(3)
    ]
    try:
        for w in workers:
            w.start()
        for _ in workers:
            assert read_byte(ready_r) == b"r"
        assert sample(r.export(), "busy") == 3
        os.kill(workers[0].pid or 0, signal.SIGKILL)  # no hook runs
        workers[0].join(60)
        assert workers[0].exitcode == -signal.SIGKILL
        text = r.export()
        assert sample(text, "busy") == 2
        assert sample(text, "served_total") == 3000  # counts never go back
        os.write(hold_w, b"go")
        for w in workers[1:]:
            w.join(60)
            assert w.exitcode == 0
        assert sample(r.export(), "busy") == 0
        assert busy.get() == 0  # the parent's own value
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
        for fd in (ready_r, ready_w, hold_r, hold_w):
            os.close(fd)


def set_and_exit(gauges: list[Gauge], value: float) -> None:
    for g in gauges:
        g.set(value)


def test_gauge_modes_combine_the_processes_values(path: str) -> None:
    r = SharedRegistry(path)
    modes = ["all", "liveall", "sum", "livesum", "max", "livemax", "min", "livemin", "mostrecent"]
    gauges = [r.gauge(f"g_{m}", mode=m) for m in modes]  # type: ignore[arg-type]
    for g in gauges:
        g.set(5)
    ctx = multiprocessing.get_context("fork")
    for value in (1.0, 7.0):
        p = ctx.Process(target=set_and_exit, args=(gauges, value))
        p.start()
        p.join(60)
        assert p.exitcode == 0
    text = r.export()
    assert sample(text, "g_sum") == 13
    assert sample(text, "g_livesum") == 5
    assert (sample(text, "g_max"), sample(text, "g_livemax")) == (7, 5)
    assert (sample(text, "g_min"), sample(text, "g_livemin")) == (1, 5)
    assert sample(text, "g_mostrecent") == 7
    assert text.count("g_all{pid=") == 3
    assert sample(text, f'g_liveall{{pid="{os.getpid()}"}}') == 5


def test_the_api_mirrors_registry_and_exports_the_same_text(path: str) -> None:
    shared, local = SharedRegistry(path), Registry()
    for reg in (shared, local):
        reg.counter("requests", "Requests.", labels={"code": "200"}).add(3)
        reg.histogram("size", "Sizes.", buckets=[1, 10], scale=1).record(4)
        reg.timer("rule", "Rule time.").record(0.25, ok=False)
    shared.gauge("temperature", "Degrees.", mode="mostrecent").set(21.5)
    local.gauge("temperature", "Degrees.").set(21.5)
    for fmt in ("prometheus", "openmetrics", "json"):
        assert shared.export(fmt) == local.export(fmt)  # type: ignore[arg-type]
    c = shared.counter("requests", labels={"code": "200"})
    assert isinstance(c, Counter) and c == shared.counter("requests", labels={"code": "200"})
    assert isinstance(shared.histogram("size"), Histogram)
    assert isinstance(shared.timer("rule"), Timer)
    assert len(shared) == 4 and shared.series_count == 4
    assert shared.max_series == 4096 and shared.max_processes == 64
    assert shared.refused_series == 0 and shared.refused_processes == 0
    assert shared.path == path and repr(shared) == f'SharedRegistry("{path}", families=4)'
    again = SharedRegistry(path, create=False)
    assert again != shared and again.counter("requests", labels={"code": "200"}).get() == 3


def test_errors_are_the_registrys_and_bad_files_are_refused(path: str, tmp_path: Path) -> None:
    r = SharedRegistry(path, max_series=2)
    r.counter("a")
    with pytest.raises(ValueError, match="registered as a counter"):
        r.gauge("a")
    with pytest.raises(ValueError, match="unknown gauge mode"):
        r.gauge("g", mode="average")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reserved"):
        r.gauge("g", labels={"pid": "1"})
    with pytest.raises(TypeError):
        r.counter("b", labels={"k": 1})  # type: ignore[dict-item]
    r.counter("b")
    with pytest.raises(ValueError, match="is full"):
        r.counter("c")
    assert r.refused_series == 1
    with pytest.raises(ValueError, match="format"):
        r.export("xml")  # type: ignore[arg-type]

    junk = tmp_path / "junk"
    junk.write_bytes(b"not a segment" * 1000)
    with pytest.raises(ValueError, match="not an atomicperf shared registry"):
        SharedRegistry(str(junk))
    with pytest.raises(ValueError, match="no shared registry"):
        SharedRegistry(str(tmp_path / "missing"), create=False)
    with pytest.raises(ValueError, match="invalid shared registry name"):
        SharedRegistry("a b")
    with pytest.raises(ValueError, match="invalid shared registry options"):
        SharedRegistry(str(tmp_path / "odd"), counter_stripes=3)
    with pytest.raises(ValueError):
        SharedRegistry(str(tmp_path / "neg"), max_series=-1)


def test_named_segments_live_in_dir_and_can_be_removed(tmp_path: Path) -> None:
    name = f"pytest-{os.getpid()}-{time.monotonic_ns()}"
    r = SharedRegistry(name, dir=tmp_path, mode=0o640)
    assert r.path == str(tmp_path / f"atomicperf-{name}")
    assert os.stat(r.path).st_mode & 0o777 == 0o640
    c = r.counter("kept")
    SharedRegistry.remove(name, dir=tmp_path)
    c.inc()  # still mapped
    assert c.get() == 1
    assert len(SharedRegistry(name, dir=tmp_path)) == 0  # a new, empty one
    r.unlink()
    with pytest.raises(ValueError):
        r.unlink()


def test_prometheus_client_collects_a_shared_registry(path: str) -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    from atomicperf.prometheus import Collector

    r = SharedRegistry(path)
    r.counter("jobs_done", "Jobs done.", labels={"queue": "mail"}).inc()
    scrape = prometheus_client.CollectorRegistry()
    scrape.register(Collector(r))
    text = prometheus_client.generate_latest(scrape).decode()
    assert 'jobs_done_total{queue="mail"} 1.0' in text


def usage(path: str) -> tuple[int, int]:
    """The segment file's allocated bytes (st_blocks * 512) and apparent size."""
    st = os.stat(path)
    return st.st_blocks * 512, st.st_size


def restart_workers(registry: SharedRegistry, restarts: int, live: int) -> list[tuple[int, int]]:
    """``restarts`` forked workers, ``live`` at a time (a pre-fork server's workers coming and
    going): each opens the segment by path, registers and increments the same series, sets a
    livesum gauge, then exits (even ones) or waits to be SIGKILLed (odd ones) once ``live``
    younger ones run. After each restart ``registry`` exports (a scrape); returns the segment's
    usage then."""
    path = registry.path
    ready_r, ready_w = os.pipe()
    running: list[tuple[int, bool]] = []
    sizes = []
    try:
        for i in range(restarts):
            killed = i % 2 == 1
            pid = os.fork()
            if pid == 0:  # the worker
                code = 1
                try:
                    r = SharedRegistry(path, create=False)
                    r.counter("requests", "Requests.", labels={"route": "/"}).inc()
                    r.histogram("latency_seconds", "Latency.").record(1_000_000)
                    r.gauge("in_flight", "In flight.", mode="livesum").set(1)
                    os.write(ready_w, b"r")
                    code = 0
                    if killed:
                        signal.pause()
                finally:
                    os._exit(code)
            running.append((pid, killed))
            assert read_byte(ready_r) == b"r"
            if i == 0 or len(running) > live:  # the first one goes alone: the baseline
                pid, killed = running.pop(0)
                if killed:
                    os.kill(pid, signal.SIGKILL)
                assert os.waitpid(pid, 0)[1] in (0, signal.SIGKILL)
            registry.export()
            sizes.append(usage(path))
    finally:
        for pid, _ in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    return sizes


def test_worker_restarts_do_not_grow_the_segment(tmp_path: Path) -> None:
    # tmpfs, where segments live by default and st_blocks counts exactly the pages in use (a disk
    # file system also counts its own metadata there, which changes at writeback).
    shm = Path(tempfile.mkdtemp(dir="/dev/shm")) if os.path.isdir("/dev/shm") else tmp_path
    try:
        r = SharedRegistry("restarts", dir=shm)
        sizes = restart_workers(r, 200, live=4)
        text = r.export()  # every worker dead now
        sizes.append(usage(r.path))
        assert sizes[-1] == sizes[0], f"grew from {sizes[0]} to {sizes[-1]}"
        assert len(set(sizes)) == 1
        assert sample(text, 'requests_total{route="/"}') == 200
        assert sample(text, "latency_seconds_count") == 200
        assert sample(text, "in_flight") == 0  # every worker is dead
        assert r.series_count == 3 and r.refused_processes == 0
    finally:
        if shm != tmp_path:
            shutil.rmtree(shm)
