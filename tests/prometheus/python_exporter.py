"""An exporter for the real-Prometheus scrape test (scripts/test-prometheus.sh), in Python: the
same 10,000 latencies as the Rust exporter example in a native histogram
`atomicperf_demo_latency_seconds{lang="python"}`, served by atomicperf.prometheus's
start_http_server (which negotiates the format), with the default metrics (process and Python
ones, read at each scrape); it burns 20 ms of CPU every half second, so that
process_cpu_seconds_total grows between scrapes. Prints the port, then the 0.5 and 0.99
quantiles as the library computes them, then serves until killed."""

import time

from atomicperf import Registry
from atomicperf.prometheus import start_http_server

registry = Registry()
registry.register_default_metrics()
latency = registry.native_histogram(
    "atomicperf_demo_latency_seconds",
    "Latencies the scrape test asks Prometheus the quantiles of.",
    labels={"lang": "python"},
)
x = 0x9E3779B97F4A7C15
mask = (1 << 64) - 1
for _ in range(10_000):
    x ^= (x << 13) & mask
    x ^= x >> 7
    x ^= (x << 17) & mask
    latency.record(1e-3 * 10 ** ((x % 3000) / 1000))
# Exemplars on a counter and on a classic histogram's bucket, which the script reads back through
# Prometheus' /api/v1/query_exemplars.
registry.counter(
    "atomicperf_demo_traced_requests", "Requests with a trace.", labels={"lang": "python"}
).inc_with_exemplar({"trace_id": "python-counter-4bf92f35"})
registry.histogram(
    "atomicperf_demo_traced_latency_seconds", "Latency with a trace.", labels={"lang": "python"}
).record_with_exemplar(43_000_000, {"trace_id": "python-histogram-00f067aa"})
server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
print(server.server_address[1])
print(latency.quantile(0.5), latency.quantile(0.99), flush=True)
while True:  # serves from its thread until killed
    end = time.process_time() + 0.02
    while time.process_time() < end:
        pass
    time.sleep(0.5)
