"""Lock-free metrics primitives backed by the atomicperf Rust core.

>>> from atomicperf import Counter, Gauge, Histogram
>>> requests = Counter()
>>> requests.inc()
>>> latency = Histogram()          # 2 significant figures, 0 to 60 s in ns
>>> latency.record(1_250_000)
>>> requests.get(), latency.count()
(1, 1)

Every class is safe to share between threads; no method blocks or takes a lock.
"""

from ._atomicperf import Counter, Gauge, Histogram, __version__

__all__ = ["Counter", "Gauge", "Histogram", "__version__"]
