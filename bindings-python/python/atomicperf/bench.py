"""The atomicperf benchmark suite from Python: every primitive against the lock it replaces.

The workloads are the core's (the same ones ``atomicperf bench``, ``ap_bench_run`` and every
other binding run). They run on Rust threads, with the GIL released for the whole run, so the
numbers are the primitives' own, not Python's; ``python -m atomicperf overhead`` measures what a
call from Python adds.

>>> from atomicperf import bench
>>> report = bench.run(threads=(1,), duration=0.01, filter="counter")
>>> report["schema"], {c["design"] for c in report["cells"]} >= {"Mutex<u64>"}
('atomicperf-bench/1', True)

Every speed-up is a ratio against the workload's baseline measured in the same run; compare
designs, not machines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from ._atomicperf import BenchReport, _bench_run, _bench_workloads

__all__ = ["BenchReport", "DEFAULT_DURATION", "DEFAULT_THREADS", "run", "run_report", "workloads"]

#: Thread counts of a default run.
DEFAULT_THREADS: tuple[int, ...] = (1, 2, 4)
#: Seconds per cell (one design of one workload at one thread count) of a default run; the
#: full suite takes about two minutes.
DEFAULT_DURATION: float = 1.5

#: ``progress(done, total, workload, design, threads)``, called before each cell.
Progress = Callable[[int, int, str, str, int], object]


def workloads() -> list[str]:
    """Names of every workload, in report order (what ``filter`` matches against)."""
    return _bench_workloads()


def run_report(
    threads: int | Iterable[int] = DEFAULT_THREADS,
    duration: float | timedelta = DEFAULT_DURATION,
    filter: str | Iterable[str] | None = None,
    progress: Progress | None = None,
) -> BenchReport:
    """Runs the suite and returns the core's report object (``to_json``, ``to_table``,
    ``to_markdown``). Arguments and errors as ``run``."""
    return _bench_run(threads, duration, filter, progress)


def run(
    threads: int | Iterable[int] = DEFAULT_THREADS,
    duration: float | timedelta = DEFAULT_DURATION,
    filter: str | Iterable[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Runs the suite and returns its report as a dict (schema ``atomicperf-bench/1``).

    :param threads: thread counts, each 1 to 256 (an int for one); every workload runs at each.
    :param duration: time per cell, seconds (int or float) or a ``timedelta``, above zero.
    :param filter: workload names to run, by substring (``"counter"``, ``["map", "ledger"]``);
        ``None`` runs every workload (see ``workloads()``).
    :param progress: called as ``progress(done, total, workload, design, threads)`` before each
        cell, with the GIL held; if it raises, it is not called again and the exception is
        raised once the run is over (the run itself cannot be stopped early).
    :returns: ``{"schema": "atomicperf-bench/1", "version", "cpus", "threads", "cell_seconds",
        "total_seconds", "cells": [{"workload", "description", "design", "baseline",
        "threads", "ops", "seconds", "ops_per_sec", "ns_per_op", "p50_ns", "p99_ns",
        "speedup"}], "published": [...]}``.
    :raises ValueError: for a thread count of 0 or above 256, no thread counts, a zero or
        negative duration, or a filter that matches no workload.
    :raises TypeError: for arguments of another type.

    The run blocks the calling thread (about ``cells x duration``) but not the interpreter:
    other Python threads run meanwhile.
    """
    report: dict[str, Any] = json.loads(run_report(threads, duration, filter, progress).to_json())
    return report
