"""The binding's per-call overhead: ns per call from a Python loop (``python -m atomicperf
overhead``).

Every row is measured in one run with one method: ``timeit`` of a single call statement, best of
``repeat`` rounds of ``number`` calls, each round timing every case in turn (``_rounds``), reported
as ns per call; the timeit loop's own cost (first
row) is included in every row, as it is in real code. Ratios compare rows of this run only;
nothing here asserts a timing. prometheus_client rows appear when it is installed.
"""

from __future__ import annotations

import json
import platform
import sys
import threading
import timeit
from typing import Any

from . import Counter, Histogram, ShardedMap, SnapshotCell, __version__
from ._rounds import best_per_call


class _LockedInt:
    """An int behind a threading.Lock: the usual hand-written thread-safe counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def inc(self) -> None:
        with self._lock:
            self._value += 1


def _cases() -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    m = ShardedMap()
    m.insert(b"key", b"value")
    env = {
        "counter": Counter(),
        "hist": Histogram(),
        "smap": m,
        "cell": SnapshotCell(b"config"),
        "locked": _LockedInt(),
        "d": {b"key": b"value"},
    }
    cases = [
        ("loop", "timeit loop, `pass`", "pass"),
        ("counter_inc", "atomicperf Counter.inc()", "counter.inc()"),
        ("hist_record", "atomicperf Histogram.record(1_250_000)", "hist.record(1_250_000)"),
        ("map_get", "atomicperf ShardedMap.get(b'key')", "smap.get(b'key')"),
        ("cell_load", "atomicperf SnapshotCell.load()", "cell.load()"),
        ("locked_inc", "threading.Lock-guarded int += 1", "locked.inc()"),
        ("dict_get", "plain dict.get(b'key') (no lock)", "d.get(b'key')"),
    ]
    try:
        import prometheus_client
    except ImportError:
        return cases, env
    env["prom_counter"] = prometheus_client.Counter("overhead_requests", "requests", registry=None)
    env["prom_hist"] = prometheus_client.Histogram(
        "overhead_latency_seconds", "latency", registry=None
    )
    cases += [
        ("prom_inc", "prometheus_client Counter.inc()", "prom_counter.inc()"),
        (
            "prom_observe",
            "prometheus_client Histogram.observe(0.00125)",
            "prom_hist.observe(0.00125)",
        ),
    ]
    return cases, env


_RATIOS = [
    ("Lock-guarded int / Counter.inc", "locked_inc", "counter_inc"),
    ("prometheus_client Counter.inc / Counter.inc", "prom_inc", "counter_inc"),
    ("prometheus_client Histogram.observe / Histogram.record", "prom_observe", "hist_record"),
]


def measure(number: int = 200_000, repeat: int = 15) -> dict[str, Any]:
    """ns per call of every case, and the ratios, as a dict."""
    if number < 1 or repeat < 1:
        raise ValueError(f"number and repeat must be at least 1, got {number} and {repeat}")
    cases, env = _cases()
    timers = {key: (timeit.Timer(stmt, globals=env), number) for key, _label, stmt in cases}
    ns = {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}
    ratios = [
        {"ratio": label, "value": ns[a] / ns[b]} for label, a, b in _RATIOS if a in ns and b in ns
    ]
    return {
        "python": platform.python_version(),
        "atomicperf": __version__,
        "number": number,
        "repeat": repeat,
        "labels": {key: label for key, label, _ in cases},
        "ns_per_call": ns,
        "ratios": ratios,
    }


def main(number: int = 200_000, repeat: int = 15, as_json: bool = False) -> int:
    r = measure(number, repeat)
    if as_json:
        print(json.dumps(r, indent=2))
        return 0
    print(
        f"Python {r['python']} ({sys.implementation.name}), atomicperf {r['atomicperf']}; "
        f"best of {repeat} x {number:,} calls, one thread"
    )
    print()
    w = max(len(label) for label in r["labels"].values())
    print(f"| {'call':<{w}} | {'ns/call':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label in r["labels"].items():
        print(f"| {label:<{w}} | {r['ns_per_call'][key]:8.1f} |")
    if r["ratios"]:
        print()
        w = max(len(x["ratio"]) for x in r["ratios"])
        print(f"| {'ratio':<{w}} | {'value':>6} |")
        print(f"|{'-' * (w + 2)}|{'-' * 7}:|")
        for x in r["ratios"]:
            print(f"| {x['ratio']:<{w}} | {x['value']:5.2f}x |")
    return 0
