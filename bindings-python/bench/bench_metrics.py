"""Per-call cost of atomicperf's Timer.record and AsyncRecorder.record against their baselines.

Same method as bench_counter.py: timeit of one call statement, best of --repeat runs of --number
calls, ns per call, ratios between rows of this run only. Nothing here asserts a timing.

- Timer.record(duration) against a threading.Lock-guarded Python timer (count, errors, total,
  min, max: what Timer replaces).
- AsyncRecorder.record(value) (drop mode, a queue push) against Histogram.record(value) (the
  update it defers): the price of going through the queue from Python.
- Summary.record(value) (quantiles over a sliding window) against Histogram.record(value) in the
  same run (target: at most 2x).

    python bindings-python/bench/bench_metrics.py [--number N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import timeit

import atomicperf
from atomicperf._rounds import best_per_call


class LockedTimer:
    """count, errors, total, min and max behind a threading.Lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self.count = self.errors = self.total = 0
        self.min = self.max = None

    def record(self, duration, ok=True):
        with self._lock:
            self.count += 1
            if not ok:
                self.errors += 1
            self.total += duration
            if self.min is None or duration < self.min:
                self.min = duration
            if self.max is None or duration > self.max:
                self.max = duration


CASES = [
    ("loop", "timeit loop, `pass`", "pass"),
    ("ap_timer", "atomicperf Timer.record(1_250_000)", "timer.record(1_250_000)"),
    ("ap_timer_ok", "atomicperf Timer.record(1_250_000, False)", "timer.record(1_250_000, False)"),
    ("locked_timer", "threading.Lock-guarded Python timer", "locked.record(1_250_000)"),
    ("ap_hist", "atomicperf Histogram.record(1_250_000)", "hist.record(1_250_000)"),
    ("ap_async", "atomicperf AsyncRecorder(Histogram).record", "rec.record(1_250_000)"),
    ("ap_summary", "atomicperf Summary.record(1_250_000)", "summary.record(1_250_000)"),
]

RATIOS = [
    ("Lock-guarded Python timer / atomicperf Timer.record", "locked_timer", "ap_timer"),
    ("atomicperf AsyncRecorder.record / Histogram.record", "ap_async", "ap_hist"),
    ("atomicperf Summary.record / Histogram.record (target <= 2x)", "ap_summary", "ap_hist"),
]


def measure(number: int, repeat: int) -> tuple[dict[str, float], dict[str, int]]:
    hist_behind_queue = atomicperf.Histogram()
    # Big enough that the worker keeps up and nothing is dropped in a quiet run; drops are
    # reported, not hidden.
    rec = atomicperf.AsyncRecorder(hist_behind_queue, capacity=1 << 20)
    env = {
        "timer": atomicperf.Timer(),
        "locked": LockedTimer(),
        "hist": atomicperf.Histogram(),
        "summary": atomicperf.Summary(),
        "rec": rec,
    }
    timers = {key: (timeit.Timer(stmt, globals=env), number) for key, _label, stmt in CASES}
    results = {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}
    rec.flush()
    rec.close()
    return results, {"enqueued": rec.enqueued, "applied": rec.applied, "dropped": rec.dropped}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=25, help="timing runs; the best one counts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    ns, queue = measure(args.number, args.repeat)
    ratios = [{"ratio": label, "value": ns[a] / ns[b]} for label, a, b in RATIOS]
    if args.json:
        print(json.dumps({"ns_per_call": ns, "ratios": ratios, "async_queue": queue}, indent=2))
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
        print(f"| {label:<{w}} | {ns[key]:8.1f} |")
    print()
    w = max(len(r["ratio"]) for r in ratios)
    print(f"| {'ratio':<{w}} | {'value':>6} |")
    print(f"|{'-' * (w + 2)}|{'-' * 7}:|")
    for r in ratios:
        print(f"| {r['ratio']:<{w}} | {r['value']:5.2f}x |")
    print()
    print(
        f"AsyncRecorder queue: enqueued {queue['enqueued']:,}, applied {queue['applied']:,}, dropped {queue['dropped']:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
