"""Exemplars: a record with an exemplar against a plain record, atomicperf and prometheus_client.

atomicperf: ``Counter.inc()`` against ``Counter.inc_with_exemplar({"trace_id": ...})`` and
``Histogram.record(v)`` against ``Histogram.record_with_exemplar(v, {...})``, on registry
metrics. prometheus_client: ``Counter.inc()`` against ``inc(1, exemplar={...})`` and
``Histogram.observe(v)`` against ``observe(v, exemplar={...})``. One trace id (16 hex digits)
per call, from a list made beforehand. timeit, best of --repeat runs of --number calls, per
call through the same loop (a lambda call and an index: included in every row, so the ratios
understate the difference of the calls themselves); the ratios are between rows of this run
only. Nothing here asserts a timing.

    python bindings-python/bench/bench_exemplar.py [--number N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from typing import Any

import prometheus_client
from atomicperf import Registry
from atomicperf._rounds import best_per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args, _ = parser.parse_known_args()  # bench-python.sh passes every script the same arguments

    traces = [{"trace_id": f"{i:016x}"} for i in range(1024)]
    reg = Registry()
    c = reg.counter("bench_requests", "Requests.")
    h = reg.histogram("bench_latency_seconds", "Latency.")
    preg = prometheus_client.CollectorRegistry()
    pc = prometheus_client.Counter("bench_requests", "Requests.", registry=preg)
    ph = prometheus_client.Histogram("bench_latency_seconds", "Latency.", registry=preg)

    def loop(f: Callable[[int], Any]) -> Callable[[], None]:
        # The same loop for every row: an index into the trace ids, masked.
        def run() -> None:
            for i in range(args.number):
                f(i & 1023)

        return run

    cases: dict[str, Callable[[int], Any]] = {
        "atomicperf counter inc": lambda i: c.inc(),
        "atomicperf counter inc_with_exemplar": lambda i: c.inc_with_exemplar(traces[i]),
        "atomicperf histogram record": lambda i: h.record(43_000_000),
        "atomicperf histogram record_with_exemplar": lambda i: h.record_with_exemplar(
            43_000_000, traces[i]
        ),
        "prometheus_client counter inc": lambda i: pc.inc(),
        "prometheus_client counter inc exemplar=": lambda i: pc.inc(1, exemplar=traces[i]),
        "prometheus_client histogram observe": lambda i: ph.observe(0.043),
        "prometheus_client histogram observe exemplar=": lambda i: ph.observe(
            0.043, exemplar=traces[i]
        ),
    }
    timers = {name: (timeit.Timer(loop(f)), 1) for name, f in cases.items()}
    ns = {k: s / args.number * 1e9 for k, s in best_per_call(timers, args.repeat).items()}
    net = ns
    ratios = {
        "atomicperf counter": net["atomicperf counter inc_with_exemplar"]
        / net["atomicperf counter inc"],
        "atomicperf histogram": net["atomicperf histogram record_with_exemplar"]
        / net["atomicperf histogram record"],
        "prometheus_client counter": net["prometheus_client counter inc exemplar="]
        / net["prometheus_client counter inc"],
        "prometheus_client histogram": net["prometheus_client histogram observe exemplar="]
        / net["prometheus_client histogram observe"],
    }
    if args.json:
        print(json.dumps({"ns": ns, "ratios_with_exemplar_over_plain": ratios}))
        return
    print(f"exemplars, per call (best of {args.repeat} x {args.number}, loop included):")
    for name, v in ns.items():
        print(f"  {name:48} {v:8.1f} ns")
    print("with an exemplar / plain:")
    for name, r in ratios.items():
        print(f"  {name:30} {r:6.2f}x")
    print(
        "  atomicperf with exemplar vs prometheus_client with exemplar: counter "
        f"{net['prometheus_client counter inc exemplar='] / net['atomicperf counter inc_with_exemplar']:.2f}x, "
        f"histogram {net['prometheus_client histogram observe exemplar='] / net['atomicperf histogram record_with_exemplar']:.2f}x faster"
    )


if __name__ == "__main__":
    main()
