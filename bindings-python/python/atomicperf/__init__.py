"""Lock-free metrics primitives backed by the atomicperf Rust core.

>>> from atomicperf import Counter, Gauge, Histogram, Timer
>>> requests = Counter()
>>> requests.inc()
>>> latency = Histogram()          # 2 significant figures, 0 to 60 s in ns
>>> latency.record(1_250_000)
>>> handler = Timer()
>>> with handler.time():
...     pass
>>> requests.get(), latency.count(), handler.count()
(1, 1, 1)

Every class is safe to share between threads. Only ``AsyncRecorder`` waits (``flush``, ``close``,
block-mode or timed ``record``), and it releases the GIL while it does.

Durations: a measured duration (``Timer.record``, ``ThroughputWindow.record``) is an int of
nanoseconds, a float of seconds or a ``datetime.timedelta``; settings and timeouts (``window=``,
``sla=``, ``timeout=``) are seconds (int or float) or a ``timedelta``, as in the standard library.
"""

from ._atomicperf import (
    AsyncRecorder,
    ClosedError,
    Counter,
    Gauge,
    Histogram,
    MinMax,
    RateTracker,
    ThroughputWindow,
    Timer,
    TimerSnapshot,
    WindowStats,
    __version__,
)

__all__ = [
    "AsyncRecorder",
    "ClosedError",
    "Counter",
    "Gauge",
    "Histogram",
    "MinMax",
    "RateTracker",
    "ThroughputWindow",
    "Timer",
    "TimerSnapshot",
    "WindowStats",
    "__version__",
]
