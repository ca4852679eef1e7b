"""Per-call cost of atomicperf's NativeHistogram against Histogram and prometheus_client.

Same method as bench_counter.py: timeit of one call statement, best of --repeat runs of --number
calls, ns per call, ratios between rows of this run only. Nothing here asserts a timing.

- NativeHistogram.record(0.00125) (a float of seconds into exponential buckets) against
  Histogram.record(1_250_000) (an int of nanoseconds into log-linear buckets): what the native
  layout costs from Python (the issue's target: within 1.2x).
- NativeHistogram.record_duration(1_250_000) (int ns, through core's record_nanos): the
  duration path.
- prometheus_client's Histogram.observe(0.00125) (default buckets, its own registry), when
  prometheus_client is installed: what a NativeHistogram replaces. prometheus_client has no
  native histogram instrument (only a sample type for parsed expositions), so its classic
  histogram is the comparison.

    python bindings-python/bench/bench_native.py [--number N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import timeit
from typing import Any

import atomicperf
from atomicperf._rounds import best_per_call

CASES = [
    ("loop", "timeit loop, `pass`", "pass"),
    ("ap_hist", "atomicperf Histogram.record(1_250_000)", "hist.record(1_250_000)"),
    ("ap_native", "atomicperf NativeHistogram.record(0.00125)", "native.record(0.00125)"),
    (
        "ap_native_duration",
        "atomicperf NativeHistogram.record_duration(1_250_000)",
        "native.record_duration(1_250_000)",
    ),
    (
        "ap_native_registry",
        "atomicperf Registry.native_histogram(...) handle .record(0.00125)",
        "series.record(0.00125)",
    ),
    ("prom_hist", "prometheus_client Histogram.observe(0.00125)", "prom.observe(0.00125)"),
]

RATIOS = [
    ("NativeHistogram.record / Histogram.record (target <= 1.2)", "ap_native", "ap_hist"),
    ("NativeHistogram.record_duration / Histogram.record", "ap_native_duration", "ap_hist"),
    ("prometheus_client Histogram.observe / NativeHistogram.record", "prom_hist", "ap_native"),
]


def environment() -> dict[str, Any]:
    registry = atomicperf.Registry()
    env: dict[str, Any] = {
        "hist": atomicperf.Histogram(),
        "native": atomicperf.NativeHistogram(),
        "series": registry.native_histogram("latency_seconds", labels={"route": "/"}),
    }
    try:
        import prometheus_client
    except ImportError:
        return env
    env["prom"] = prometheus_client.Histogram(
        "latency_seconds", "Latency.", registry=prometheus_client.CollectorRegistry()
    )
    return env


def measure(number: int, repeat: int) -> dict[str, float]:
    env = environment()
    timers = {
        key: (timeit.Timer(stmt, globals=env), number)
        for key, _label, stmt in CASES
        if not (key == "prom_hist" and "prom" not in env)
    }
    return {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=25, help="timing runs; the best one counts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    ns = measure(args.number, args.repeat)
    ratios = [
        {"ratio": label, "value": ns[a] / ns[b]} for label, a, b in RATIOS if a in ns and b in ns
    ]
    if args.json:
        print(json.dumps({"ns_per_call": ns, "ratios": ratios}, indent=2))
        return 0
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), atomicperf {atomicperf.__version__}; "
        f"best of {args.repeat} x {args.number:,} calls"
    )
    print()
    w = max(len(label) for _, label, _ in CASES)
    print(f"| {'call':<{w}} | {'ns/call':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label, _ in CASES:
        if key in ns:
            print(f"| {label:<{w}} | {ns[key]:8.1f} |")
    print()
    w = max(len(r["ratio"]) for r in ratios)
    print(f"| {'ratio':<{w}} | {'value':>6} |")
    print(f"|{'-' * (w + 2)}|{'-' * 7}:|")
    for r in ratios:
        print(f"| {r['ratio']:<{w}} | {r['value']:5.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
