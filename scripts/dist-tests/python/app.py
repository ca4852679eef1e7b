"""A small service as a user writes it, run against the installed wheel by test-dist-python.sh."""

import sys
import threading

import atomicperf
import prometheus_client
from atomicperf import Counter, Histogram, Registry, Timer
from atomicperf.prometheus import Collector

# The module must come from the venv the wheel was installed into, never from a checkout.
assert sys.prefix in atomicperf.__file__, (sys.prefix, atomicperf.__file__)

requests = Counter()
latency = Histogram()
handler = Timer()


def work(n: int) -> None:
    for i in range(n):
        requests.inc()
        latency.record(1_000_000 + i)
        with handler.time():
            pass


threads = [threading.Thread(target=work, args=(25_000,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert requests.get() == 100_000, requests.get()
assert latency.count() == 100_000 and handler.count() == 100_000
p99 = latency.quantile(0.99)
assert p99 is not None and abs(p99 - 1_024_750) <= 1_024_750 * 0.01, p99

registry = Registry()
registry.counter("jobs_done", "Jobs done.", labels={"queue": "mail"}).inc()
registry.histogram("job_duration_seconds", "Job time.").record(1_250_000)
scrape = prometheus_client.CollectorRegistry()
scrape.register(Collector(registry))
text = prometheus_client.generate_latest(scrape).decode()
assert 'jobs_done_total{queue="mail"} 1.0' in text, text
assert "job_duration_seconds_count 1.0" in text, text
print(f"app ok: atomicperf {atomicperf.__version__} from {atomicperf.__file__}")
