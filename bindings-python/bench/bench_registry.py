"""atomicperf's Registry against prometheus_client's: looking a labelled metric up, and exporting
10,000 series.

Same method as bench_counter.py: timeit, best of --repeat runs, ratios between rows of this run
only. Nothing here asserts a timing.

- Look-up of an existing labelled metric: ``registry.counter("x", labels={"a": "b"})`` against
  prometheus_client's ``Counter(...).labels(a="b")`` (and ``.labels("b")``): what a handler pays
  when it does not keep the child around.
- Export of one counter family with --series series (default 10,000): ``registry.export()``
  (Prometheus text, written in Rust with the GIL released) against
  ``prometheus_client.generate_latest`` of the same series kept by prometheus_client, and
  ``generate_latest`` of the atomicperf registry through ``atomicperf.prometheus.Collector``
  (the bridge for prometheus_client users).

    python bindings-python/bench/bench_registry.py [--number N] [--repeat R] [--series S] [--json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import sys
import timeit

import atomicperf
import prometheus_client
from atomicperf._rounds import best_per_call
from atomicperf.prometheus import Collector

LOOKUP_CASES = [
    ("loop", "timeit loop, `pass`", "pass"),
    (
        "ap_lookup",
        'atomicperf registry.counter("x", labels={"a": "b"})',
        'reg.counter("x", labels={"a": "b"})',
    ),
    (
        "ap_lookup_inc",
        'atomicperf registry.counter("x", labels={"a": "b"}).inc()',
        'reg.counter("x", labels={"a": "b"}).inc()',
    ),
    ("prom_labels_kw", 'prometheus_client Counter.labels(a="b")', 'prom.labels(a="b")'),
    ("prom_labels_pos", 'prometheus_client Counter.labels("b")', 'prom.labels("b")'),
    (
        "prom_labels_inc",
        'prometheus_client Counter.labels(a="b").inc()',
        'prom.labels(a="b").inc()',
    ),
]

EXPORT_CASES = [
    ("ap_export", "atomicperf registry.export() (Prometheus text)", "reg.export()"),
    ("ap_export_json", 'atomicperf registry.export("json")', 'reg.export("json")'),
    (
        "prom_generate",
        "prometheus_client generate_latest (its own series)",
        "generate_latest(prom_reg)",
    ),
    (
        "bridge_generate",
        "prometheus_client generate_latest via atomicperf Collector",
        "generate_latest(bridge_reg)",
    ),
]

RATIOS = [
    (
        'prometheus_client labels(a="b") / atomicperf registry.counter(..)',
        "prom_labels_kw",
        "ap_lookup",
    ),
    (
        'prometheus_client labels(a="b").inc() / atomicperf look-up + inc()',
        "prom_labels_inc",
        "ap_lookup_inc",
    ),
    ("prometheus_client generate_latest / atomicperf export()", "prom_generate", "ap_export"),
    ("via Collector / prometheus_client generate_latest", "bridge_generate", "prom_generate"),
]


def measure(number: int, repeat: int, series: int) -> dict[str, float]:
    reg = atomicperf.Registry()
    reg.counter("x", "looked up", labels={"a": "b"})
    prom = prometheus_client.Counter("x", "looked up", ["a"], registry=None)
    prom.labels(a="b")
    env = {"reg": reg, "prom": prom}
    timers = {key: (timeit.Timer(stmt, globals=env), number) for key, _label, stmt in LOOKUP_CASES}
    ns = {k: s * 1e9 for k, s in best_per_call(timers, repeat).items()}

    big = atomicperf.Registry()
    prom_reg = prometheus_client.CollectorRegistry()
    prom_big = prometheus_client.Counter("requests", "per series", ["series"], registry=prom_reg)
    for i in range(series):
        big.counter("requests", "per series", labels={"series": str(i)}).add(i)
        prom_big.labels(series=str(i)).inc(i)
    bridge_reg = prometheus_client.CollectorRegistry()
    bridge_reg.register(Collector(big))
    env = {
        "reg": big,
        "prom_reg": prom_reg,
        "bridge_reg": bridge_reg,
        "generate_latest": prometheus_client.generate_latest,
    }
    export_repeat = max(3, repeat // 3)
    timers = {key: (timeit.Timer(stmt, globals=env), 1) for key, _label, stmt in EXPORT_CASES}
    ns.update({k: s * 1e9 for k, s in best_per_call(timers, export_repeat).items()})
    return ns


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="calls per look-up timing run")
    parser.add_argument("--repeat", type=int, default=25, help="timing runs; the best one counts")
    parser.add_argument("--series", type=int, default=10_000, help="series in the export benchmark")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    ns = measure(args.number, args.repeat, args.series)
    ratios = [{"ratio": label, "value": ns[a] / ns[b]} for label, a, b in RATIOS]
    if args.json:
        print(json.dumps({"ns": ns, "series": args.series, "ratios": ratios}, indent=2))
        return 0
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), atomicperf {atomicperf.__version__}, "
        f"prometheus_client {importlib.metadata.version('prometheus_client')}; "
        f"look-ups: best of {args.repeat} x {args.number:,} calls"
    )
    print()
    w = max(len(label) for _, label, _ in LOOKUP_CASES)
    print(f"| {'look-up of an existing labelled counter':<{w}} | {'ns/call':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label, _ in LOOKUP_CASES:
        print(f"| {label:<{w}} | {ns[key]:8.1f} |")
    print()
    w = max(len(label) for _, label, _ in EXPORT_CASES)
    title = f"export of {args.series:,} counter series"
    w = max(w, len(title))
    print(f"| {title:<{w}} | {'ms':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label, _ in EXPORT_CASES:
        print(f"| {label:<{w}} | {ns[key] / 1e6:8.2f} |")
    print()
    w = max(len(r["ratio"]) for r in ratios)
    print(f"| {'ratio':<{w}} | {'value':>6} |")
    print(f"|{'-' * (w + 2)}|{'-' * 7}:|")
    for r in ratios:
        print(f"| {r['ratio']:<{w}} | {r['value']:5.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
