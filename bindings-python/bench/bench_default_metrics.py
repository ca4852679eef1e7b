"""Default metrics at scrape time: atomicperf against prometheus_client's default registry.

``Registry.register_default_metrics()`` (process metrics read by the core from /proc, the gc
counters and python_info set from Python before the export) and ``registry.export()``, against
``prometheus_client.generate_latest()`` of its default REGISTRY, which holds exactly its process,
platform and gc collectors. Both read the same values on every scrape. timeit, best of --repeat
runs of --number scrapes, per scrape; the ratio is between rows of this run only. Nothing here
asserts a timing.

    python bindings-python/bench/bench_default_metrics.py [--number N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import timeit

import prometheus_client
from atomicperf import Registry
from atomicperf._rounds import best_per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args, _ = parser.parse_known_args()  # bench-python.sh passes every script the same arguments

    reg = Registry()
    reg.register_default_metrics()
    cases = {
        "atomicperf": lambda: reg.export(),
        "prometheus_client": lambda: prometheus_client.generate_latest(prometheus_client.REGISTRY),
    }
    timers = {name: (timeit.Timer(scrape), args.number) for name, scrape in cases.items()}
    us = {k: s * 1e6 for k, s in best_per_call(timers, args.repeat).items()}

    def families(text: str) -> int:
        return sum(line.startswith("# TYPE ") for line in text.splitlines())

    result = {
        "scrapes": args.number,
        "atomicperf_us": us["atomicperf"],
        "prometheus_client_us": us["prometheus_client"],
        "ratio": us["prometheus_client"] / us["atomicperf"],
        "atomicperf_families": families(reg.export()),
        "prometheus_client_families": families(
            prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
        ),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"default metrics, one scrape (best of {args.repeat} x {args.number}):")
    print(
        f"  atomicperf registry.export()                  {result['atomicperf_us']:8.1f} us"
        f"  ({result['atomicperf_families']} families)"
    )
    print(
        f"  prometheus_client generate_latest(REGISTRY)   {result['prometheus_client_us']:8.1f} us"
        f"  ({result['prometheus_client_families']} families)"
    )
    print(f"  prometheus_client / atomicperf: {result['ratio']:.2f}x")


if __name__ == "__main__":
    main()
