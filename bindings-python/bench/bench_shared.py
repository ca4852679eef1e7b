"""A SharedRegistry against prometheus_client's multiprocess mode, its peer for pre-fork servers.

All three parts run in this one run, on this machine, and every ratio compares rows of this run:

(a) record: ``Histogram.record`` on a SharedRegistry histogram against prometheus_client's
    ``Histogram.observe`` in multiprocess mode (PROMETHEUS_MULTIPROC_DIR: one mmap'd file per
    process), by timeit as in bench_counter.py: best of --repeat runs of --number calls.
(b) scrape: --processes forked workers (16) each increment every one of --series counter series
    (10,000: 100 families of --series/100 label values), as the workers of a pre-fork server
    that all serve every route do. Then one scrape exports them all as Prometheus text: from the
    shared segment (``SharedRegistry.export``), and, over the same data written by the same
    workers, prometheus_client's ``MultiProcessCollector`` with ``generate_latest`` (which reads
    and merges every worker's file at each scrape). Both texts are checked to carry the same
    totals. Best and median of --scrapes scrapes each.
(c) restarts: --restarts forked workers (1,000), four alive at a time, come and go: each opens the
    segment by name, registers and increments the same series, sets a livesum gauge, then exits
    (even ones) or is SIGKILLed (odd ones); a scrape (export) follows every restart. The
    segment's allocated bytes (st_blocks * 512) and apparent size after the first restart, the
    largest after any, and after the last (every worker dead) must be identical. The same
    workers also write prometheus_client's multiprocess files; its directory is shown beside.

    python bindings-python/bench/bench_shared.py [--number N] [--repeat R] [--json]

Targets: (a) shared Histogram.record at least 20x faster than multiprocess Histogram.observe;
(b) the shared scrape within 50 ms and at least 20x faster than MultiProcessCollector; (c) the
segment no larger after the last restart than after the first. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import select
import shutil
import signal
import statistics
import sys
import tempfile
import time
import timeit
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import atomicperf
import prometheus_client
from atomicperf._rounds import best_per_call
from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector


@contextmanager
def multiprocess_mode(directory: str) -> Iterator[None]:
    """prometheus_client metrics created inside are in multiprocess mode, as PROMETHEUS_MULTIPROC_DIR
    makes every metric at import: their values in per-process mmap'd files in ``directory``."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    in_process = values.ValueClass
    values.ValueClass = values.MultiProcessValue()
    try:
        yield
    finally:
        values.ValueClass = in_process
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def segment_dir() -> str:
    """Segments live in /dev/shm by default (tmpfs); a private directory there for this run."""
    return tempfile.mkdtemp(
        prefix="bench-shared-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
    )


def usage(path: str) -> tuple[int, int]:
    """Allocated bytes (st_blocks * 512) and apparent size of a file, or of a directory's files."""
    paths = [os.path.join(path, f) for f in os.listdir(path)] if os.path.isdir(path) else [path]
    sts = [os.stat(p) for p in paths]
    return sum(s.st_blocks for s in sts) * 512, sum(s.st_size for s in sts)


def run_forked(body: Callable[[], None]) -> int:
    """Runs ``body`` in a forked child that exits with 0 when it returns; returns the pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def wait_ok(pid: int) -> None:
    status = os.waitpid(pid, 0)[1]
    if status != 0:
        raise RuntimeError(f"worker {pid} failed (status {status})")


# --- (a) record -------------------------------------------------------------------------------


def measure_record(directory: str, number: int, repeat: int) -> dict[str, float]:
    shared = atomicperf.SharedRegistry(os.path.join(directory, "record-segment"))
    with multiprocess_mode(directory):
        prom_mp = prometheus_client.Histogram("bench_latency_seconds", "latency", registry=None)
    env = {
        "ap_shared": shared.histogram("bench_latency_seconds", "latency"),
        "ap_local": atomicperf.Histogram(),
        "prom_mp": prom_mp,
        "prom_local": prometheus_client.Histogram("bench_latency_seconds", "l", registry=None),
    }
    # 1.25 ms, in ns for atomicperf, in seconds for prometheus_client (its unit).
    cases = {
        "ap_shared_record": "ap_shared.record(1_250_000)",
        "ap_record": "ap_local.record(1_250_000)",
        "prom_mp_observe": "prom_mp.observe(0.00125)",
        "prom_observe": "prom_local.observe(0.00125)",
    }
    timers = {key: (timeit.Timer(stmt, globals=env), number) for key, stmt in cases.items()}
    ns = {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}
    shared.unlink()
    return ns


# --- (b) scrape -------------------------------------------------------------------------------

FAMILIES = 100


def series_names(series: int) -> list[tuple[str, str]]:
    per_family = series // FAMILIES
    return [
        (f"app_requests_{f}", f"/route/{r}") for f in range(FAMILIES) for r in range(per_family)
    ]


def write_series(segment: str, prom_dir: str, series: int, amount: int) -> None:
    """One worker: every series once in the segment and once in its prometheus_client file."""
    names = series_names(series)
    shared = atomicperf.SharedRegistry(segment, create=False)
    for family, route in names:
        shared.counter(family, "Requests.", labels={"route": route}).add(amount)
    with multiprocess_mode(prom_dir):
        counters = {
            f: prometheus_client.Counter(f, "Requests.", ["route"], registry=None)
            for f in {f for f, _ in names}
        }
        for family, route in names:
            counters[family].labels(route).inc(amount)


def sample(text: str, series: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line[len(series) + 1 :])
    return None


def timed(f: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return times, out


def measure_scrape(directory: str, processes: int, series: int, scrapes: int) -> dict[str, Any]:
    segment = os.path.join(directory, "scrape-segment")
    prom_dir = os.path.join(directory, "scrape-prom")
    os.mkdir(prom_dir)
    # Headroom: workers that register one series at the same moment may each publish an entry
    # for it (the index gives the series one of them); in lockstep, two workers on a busy
    # machine have wasted a few hundred to over a thousand entries of 10,000 this way.
    max_series = 4 * series + 1024
    shared = atomicperf.SharedRegistry(
        segment, max_series=max_series, data_bytes=max_series * 8192 + (16 << 20)
    )
    t = time.perf_counter()
    # Spread over the machine's CPUs: at most os.cpu_count() workers write at once.
    running: list[int] = []
    for p in range(processes):
        if len(running) >= (os.cpu_count() or 1):
            wait_ok(running.pop(0))
        running.append(run_forked(lambda p=p: write_series(segment, prom_dir, series, p + 1)))
    for pid in running:
        wait_ok(pid)
    setup_s = time.perf_counter() - t

    def prom_scrape() -> bytes:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=prom_dir)
        return generate_latest(registry)

    from atomicperf.prometheus import Collector

    via_client = CollectorRegistry()
    via_client.register(Collector(shared))

    ours_s, ours = timed(lambda: shared.export("prometheus"), scrapes)
    client_s, via = timed(lambda: generate_latest(via_client), max(3, scrapes // 4))
    prom_s, prom = timed(prom_scrape, max(3, scrapes // 4))
    # The same totals in both: every worker added p + 1 to every series.
    expected = processes * (processes + 1) // 2
    family, route = series_names(series)[-1]
    ours_v = sample(ours, f'{family}_total{{route="{route}"}}')
    prom_v = sample(prom.decode(), f'{family}_total{{route="{route}"}}')
    via_v = sample(via.decode(), f'{family}_total{{route="{route}"}}')
    if not ours_v == prom_v == via_v == expected:
        raise RuntimeError(f"totals differ: {ours_v}, {prom_v}, {via_v}, expected {expected}")
    result = {
        "setup_s": setup_s,
        "ours_s": ours_s,
        "via_collector_s": client_s,
        "prom_s": prom_s,
        "ours_bytes": len(ours),
        "prom_bytes": len(prom),
        "segment_usage": usage(segment),
        "prom_dir_usage": usage(prom_dir),
        "prom_files": len(os.listdir(prom_dir)),
    }
    shared.unlink()
    return result


# --- (c) restarts -----------------------------------------------------------------------------


def restart_worker(segment: str, prom_dir: str, ready: int, killed: bool) -> None:
    r = atomicperf.SharedRegistry(segment, create=False)
    r.counter("requests", "Requests.", labels={"route": "/"}).inc()
    r.histogram("latency_seconds", "Latency.").record(1_000_000)
    r.gauge("in_flight", "In flight.", mode="livesum").set(1)
    with multiprocess_mode(prom_dir):
        prometheus_client.Counter("requests", "Requests.", ["route"], registry=None).labels(
            "/"
        ).inc()
        prometheus_client.Histogram("latency_seconds", "Latency.", registry=None).observe(0.001)
        prometheus_client.Gauge(
            "in_flight", "In flight.", registry=None, multiprocess_mode="livesum"
        ).set(1)
    os.write(ready, b"r")
    if killed:
        signal.pause()  # until SIGKILL


def measure_restarts(directory: str, restarts: int, live: int = 4) -> dict[str, Any]:
    segment = os.path.join(directory, "restart-segment")
    prom_dir = os.path.join(directory, "restart-prom")
    os.mkdir(prom_dir)
    shared = atomicperf.SharedRegistry(segment)
    ready_r, ready_w = os.pipe()
    running: list[tuple[int, bool]] = []
    first: dict[str, Any] = {}
    steps: list[tuple[int, int]] = []
    t = time.perf_counter()
    try:
        for i in range(restarts):
            killed = i % 2 == 1
            pid = run_forked(lambda k=killed: restart_worker(segment, prom_dir, ready_w, k))
            running.append((pid, killed))
            if not select.select([ready_r], [], [], 60)[0] or os.read(ready_r, 1) != b"r":
                raise RuntimeError(f"restart {i}: the worker did not start")
            if i == 0 or len(running) > live:  # the first one goes alone: the baseline
                pid, k = running.pop(0)
                if k:
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            shared.export()  # a scrape after every restart
            steps.append(usage(segment))
            if i == 0:
                first = {"segment": usage(segment), "prom_dir": usage(prom_dir)}
                first["prom_files"] = len(os.listdir(prom_dir))
    finally:
        for pid, _ in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    elapsed = time.perf_counter() - t
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=prom_dir)
    text = shared.export()  # every worker dead now
    result = {
        "elapsed_s": elapsed,
        "largest": max(steps),
        "first": first,
        "last": {
            "segment": usage(segment),
            "prom_dir": usage(prom_dir),
            "prom_files": len(os.listdir(prom_dir)),
        },
        "requests_total": sample(text, 'requests_total{route="/"}'),
        "in_flight": sample(text, "in_flight"),
        "prom_in_flight": sample(generate_latest(registry).decode(), "in_flight"),
    }
    shared.unlink()
    return result


# --- report -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="(a) calls per timing run")
    parser.add_argument("--repeat", type=int, default=25, help="(a) timing runs; the best counts")
    parser.add_argument("--processes", type=int, default=16, help="(b) workers")
    parser.add_argument("--series", type=int, default=10_000, help="(b) counter series")
    parser.add_argument("--scrapes", type=int, default=20, help="(b) scrapes of the segment")
    parser.add_argument("--restarts", type=int, default=1000, help="(c) worker restarts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    if args.series % FAMILIES:
        parser.error(f"--series must be a multiple of {FAMILIES}")

    directory = segment_dir()
    try:
        rec = measure_record(directory, args.number, args.repeat)
        scrape = measure_scrape(directory, args.processes, args.series, args.scrapes)
        restarts = measure_restarts(directory, args.restarts)
    finally:
        shutil.rmtree(directory)

    ours_best, prom_best = min(scrape["ours_s"]), min(scrape["prom_s"])
    ratios = [
        (
            "(a) prometheus multiprocess Histogram.observe / atomicperf shared Histogram.record",
            rec["prom_mp_observe"] / rec["ap_shared_record"],
            "≥ 20x",
            rec["prom_mp_observe"] / rec["ap_shared_record"] >= 20,
        ),
        (
            "(a) atomicperf shared Histogram.record / in-process Histogram.record",
            rec["ap_shared_record"] / rec["ap_record"],
            "",
            None,
        ),
        (
            "(b) MultiProcessCollector scrape / atomicperf shared export",
            prom_best / ours_best,
            "≥ 20x",
            prom_best / ours_best >= 20,
        ),
        (
            "(b) atomicperf Collector via generate_latest / atomicperf shared export",
            min(scrape["via_collector_s"]) / ours_best,
            "",
            None,
        ),
        (
            "(c) segment allocated bytes, last restart / first",
            restarts["last"]["segment"][0] / restarts["first"]["segment"][0],
            "= 1x",
            restarts["last"]["segment"] == restarts["largest"] == restarts["first"]["segment"],
        ),
    ]
    targets = [
        (
            "(b) atomicperf shared export of the scrape",
            f"{ms(ours_best)} ms",
            "≤ 50 ms",
            ours_best <= 0.05,
        ),
    ]

    if args.json:
        print(
            json.dumps(
                {
                    "record_ns_per_call": rec,
                    "scrape": scrape,
                    "restarts": restarts,
                    "ratios": [
                        {"ratio": r[0], "value": r[1], "target": r[2], "met": r[3]} for r in ratios
                    ],
                    "targets": [
                        {"what": t[0], "value": t[1], "target": t[2], "met": t[3]} for t in targets
                    ],
                },
                indent=2,
            )
        )
        return 0

    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), atomicperf "
        f"{atomicperf.__version__}, prometheus_client {importlib.metadata.version('prometheus_client')}; "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print(f"(a) record: best of {args.repeat} x {args.number:,} calls")
    print()
    rows = [
        ("atomicperf SharedRegistry Histogram.record(1_250_000)", rec["ap_shared_record"]),
        ("atomicperf Histogram.record(1_250_000) (in process)", rec["ap_record"]),
        (
            "prometheus_client Histogram.observe(0.00125) (multiprocess mode)",
            rec["prom_mp_observe"],
        ),
        ("prometheus_client Histogram.observe(0.00125) (in process)", rec["prom_observe"]),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"| {'call':<{w}} | {'ns/call':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for label, v in rows:
        print(f"| {label:<{w}} | {v:8.1f} |")
    print()
    print(
        f"(b) scrape: {args.processes} workers x {args.series:,} counter series "
        f"(written in {scrape['setup_s']:.1f} s); ms per scrape, "
        f"{len(scrape['ours_s'])} / {len(scrape['prom_s'])} scrapes"
    )
    print()
    rows2 = [
        ("atomicperf SharedRegistry.export('prometheus')", scrape["ours_s"], scrape["ours_bytes"]),
        (
            "atomicperf Collector + prometheus_client generate_latest",
            scrape["via_collector_s"],
            None,
        ),
        (
            "prometheus_client MultiProcessCollector + generate_latest",
            scrape["prom_s"],
            scrape["prom_bytes"],
        ),
    ]
    w = max(len(r[0]) for r in rows2)
    print(f"| {'scrape':<{w}} | {'best ms':>9} | {'median ms':>9} | {'text bytes':>10} |")
    print(f"|{'-' * (w + 2)}|{'-' * 10}:|{'-' * 10}:|{'-' * 11}:|")
    for label, times, size in rows2:
        print(
            f"| {label:<{w}} | {ms(min(times)):>9} | {ms(statistics.median(times)):>9} | "
            f"{'' if size is None else f'{size:,}':>10} |"
        )
    seg, prom = scrape["segment_usage"], scrape["prom_dir_usage"]
    print()
    print(
        f"Storage: the segment {seg[0]:,} bytes allocated ({seg[1]:,} apparent); "
        f"prometheus_client's directory {prom[0]:,} bytes allocated ({prom[1]:,} apparent) in "
        f"{scrape['prom_files']} files."
    )
    print()
    first, last = restarts["first"], restarts["last"]
    print(
        f"(c) restarts: {args.restarts:,} workers, four alive at a time, half SIGKILLed "
        f"({restarts['elapsed_s'] / args.restarts * 1e3:.1f} ms per restart)"
    )
    print()
    print("| after | segment allocated | segment apparent | prometheus dir allocated | files |")
    print("|---|---:|---:|---:|---:|")
    largest = restarts["largest"]
    for label, seg, p_alloc, p_files in (
        ("the first restart", first["segment"], first["prom_dir"][0], first["prom_files"]),
        ("any restart (largest)", largest, None, None),
        (f"{args.restarts:,} restarts", last["segment"], last["prom_dir"][0], last["prom_files"]),
    ):
        print(
            f"| {label} | {seg[0]:,} | {seg[1]:,} | {'' if p_alloc is None else f'{p_alloc:,}'} | "
            f"{'' if p_files is None else f'{p_files:,}'} |"
        )
    print()
    print(
        f"Totals after the restarts: requests_total {restarts['requests_total']:g}; the livesum "
        f"gauge {restarts['in_flight']:g} (every worker dead), prometheus_client's livesum "
        f"{restarts['prom_in_flight']:g} (no mark_process_dead was called)."
    )
    print()
    # One table: the ratios, with the scrape's absolute target after the scrape's ratios.
    table = [(label, f"{value:.2f}x", target, met) for label, value, target, met in ratios]
    table[4:4] = targets
    w = max(len(r[0]) for r in table)
    print(f"| {'ratio or value':<{w}} | {'value':>8} | {'target':>7} | {'met':>4} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|{'-' * 8}:|{'-' * 5}:|")
    for label, value, target, met in table:
        print(
            f"| {label:<{w}} | {value:>8} | {target:>7} | "
            f"{'' if met is None else ('yes' if met else 'NO'):>4} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
