"""Per-call cost of atomicperf's Counter.inc and Histogram.record against their Python peers.

Every row is measured in this one run with the same method: timeit of a single call statement,
best of --repeat runs of --number calls each, reported as ns per call (the timeit loop's own
cost, shown in the first row, is included in every row, as it is in real code). Ratios compare
rows of this run only.

    python bindings-python/bench/bench_counter.py [--number N] [--repeat R] [--json]

Targets: Counter.inc at least 8x faster than prometheus_client's Counter.inc and within 1.6x of an
empty pure-Python method taking one argument; Histogram.record at least 15x faster than
prometheus_client's Histogram.observe. For metrics shared by processes: the Counter.inc of a
SharedRegistry counter within 2x of an in-process one, and at least 20x faster than
prometheus_client's Counter.inc in multiprocess mode (PROMETHEUS_MULTIPROC_DIR: one mmap'd file
per process). Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
import threading
import timeit

import atomicperf
import prometheus_client
from atomicperf._rounds import best_per_call


class Empty:
    """An empty pure-Python method: the floor for any method call from Python."""

    def m0(self):
        pass

    def m1(self, x):
        pass


class LockedCounter:
    """An int behind a threading.Lock: the usual hand-written thread-safe counter."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value = 0

    def inc(self):
        with self._lock:
            self._value += 1


def multiprocess_counter(directory: str) -> prometheus_client.Counter:
    """A prometheus_client counter in multiprocess mode, as PROMETHEUS_MULTIPROC_DIR makes every
    counter at import: its value in a per-process mmap'd file in ``directory``."""
    from prometheus_client import values

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    in_process = values.ValueClass
    values.ValueClass = values.MultiProcessValue()
    try:
        return prometheus_client.Counter("bench_mp_requests", "requests", registry=None)
    finally:
        values.ValueClass = in_process
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def setup_objects(directory: str) -> dict:
    # registry=None keeps the peers out of the global registry; it does not change their hot path.
    shared = atomicperf.SharedRegistry(os.path.join(directory, "segment"))
    return {
        "ap_shared": shared.counter("bench_requests", "requests"),
        "prom_mp_counter": multiprocess_counter(directory),
        "ap_counter": atomicperf.Counter(),
        "ap_hist": atomicperf.Histogram(),
        "prom_counter": prometheus_client.Counter("bench_requests", "requests", registry=None),
        "prom_hist": prometheus_client.Histogram("bench_latency_seconds", "latency", registry=None),
        "locked": LockedCounter(),
        "empty": Empty(),
    }


# (key, label, statement). Histogram values: 1.25 ms, in ns for atomicperf, in seconds for
# prometheus_client (its unit), so each lands mid-range in its own buckets.
CASES = [
    ("loop", "timeit loop, `pass`", "pass"),
    ("empty0", "empty Python method, no argument", "empty.m0()"),
    ("empty1", "empty Python method, one argument", "empty.m1(1)"),
    ("ap_inc", "atomicperf Counter.inc()", "ap_counter.inc()"),
    ("ap_add", "atomicperf Counter.add(1)", "ap_counter.add(1)"),
    ("locked_inc", "threading.Lock-guarded int += 1", "locked.inc()"),
    ("prom_inc", "prometheus_client Counter.inc()", "prom_counter.inc()"),
    ("ap_shared_inc", "atomicperf SharedRegistry counter .inc()", "ap_shared.inc()"),
    (
        "prom_mp_inc",
        "prometheus_client Counter.inc() (multiprocess mode)",
        "prom_mp_counter.inc()",
    ),
    ("ap_record", "atomicperf Histogram.record(1_250_000)", "ap_hist.record(1_250_000)"),
    ("prom_observe", "prometheus_client Histogram.observe(0.00125)", "prom_hist.observe(0.00125)"),
]

# (label, numerator key, denominator key, target, target is "at least" (True) or "at most")
RATIOS = [
    ("prometheus Counter.inc / atomicperf Counter.inc", "prom_inc", "ap_inc", 8.0, True),
    ("Lock-guarded int / atomicperf Counter.inc", "locked_inc", "ap_inc", None, True),
    (
        "atomicperf shared Counter.inc / in-process Counter.inc",
        "ap_shared_inc",
        "ap_inc",
        2.0,
        False,
    ),
    (
        "prometheus multiprocess Counter.inc / atomicperf shared Counter.inc",
        "prom_mp_inc",
        "ap_shared_inc",
        20.0,
        True,
    ),
    ("atomicperf Counter.inc / empty one-arg method", "ap_inc", "empty1", 1.6, False),
    ("atomicperf Counter.inc / empty no-arg method", "ap_inc", "empty0", None, False),
    (
        "prometheus Histogram.observe / atomicperf Histogram.record",
        "prom_observe",
        "ap_record",
        15.0,
        True,
    ),
]


def measure(number: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        env = setup_objects(directory)
        timers = {key: (timeit.Timer(stmt, globals=env), number) for key, _label, stmt in CASES}
        return {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="calls per timing run")
    parser.add_argument(
        "--repeat",
        type=int,
        default=25,
        help="timing runs; the best one counts (many short runs find the quiet moments on a busy machine)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    ns = measure(args.number, args.repeat)
    ratios = []
    for label, num, den, target, at_least in RATIOS:
        r = ns[num] / ns[den]
        met = None if target is None else (r >= target if at_least else r <= target)
        ratios.append(
            {"ratio": label, "value": r, "target": target, "at_least": at_least, "met": met}
        )

    if args.json:
        print(json.dumps({"ns_per_call": ns, "ratios": ratios}, indent=2))
        return 0

    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), atomicperf {atomicperf.__version__}, "
        f"prometheus_client {importlib.metadata.version('prometheus_client')}; "
        f"best of {args.repeat} x {args.number:,} calls"
    )
    print()
    w = max(len(label) for _, label, _ in CASES)
    print(f"| {'call':<{w}} | {'ns/call':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label, _ in CASES:
        print(f"| {label:<{w}} | {ns[key]:8.1f} |")
    print()
    w = max(len(r["ratio"]) for r in ratios)
    print(f"| {'ratio':<{w}} | {'value':>6} | {'target':>8} | {'met':>4} |")
    print(f"|{'-' * (w + 2)}|{'-' * 7}:|{'-' * 9}:|{'-' * 5}:|")
    for r in ratios:
        target = (
            "" if r["target"] is None else ("≥ " if r["at_least"] else "≤ ") + f"{r['target']:g}x"
        )
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        print(f"| {r['ratio']:<{w}} | {r['value']:5.2f}x | {target:>8} | {met:>4} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
