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

Prometheus native histograms: ``NativeHistogram`` records floats (seconds for durations) into
exponential buckets, the layout client_golang uses; ``registry.native_histogram(...)`` registers
one, ``registry.export_bytes("protobuf")`` exports its buckets, and ``negotiate(accept)`` picks
the format a scrape asks for (``atomicperf.prometheus.make_wsgi_app`` does both).

Every class is safe to share between threads. Only ``AsyncRecorder`` (``flush``, ``close``,
block-mode or timed ``record``), ``OnceMap.get_or_init`` (for another caller's initialiser) and
``CancellationToken.wait`` wait, and they release the GIL while they do.

Concurrent state: ``ShardedMap`` (bytes to bytes), ``Ledger`` (accounts; errors under
``LedgerError``), ``SnapshotCell`` (a revisioned bytes value), ``OnceMap`` (get-or-initialise
once per key) and ``CancellationToken``. Keys and stored byte values are ``bytes``; a
``bytearray`` or ``memoryview`` is copied, a ``str`` is refused with ``TypeError``.

Registry: ``Registry.default()`` (or ``default_registry()``) is the process-wide registry of
named, labelled metrics, ``Registry.named(name)`` a process-wide one by name, ``Registry()`` a
private one; ``registry.counter("http_requests", "Requests.", labels={"code": "200"})``
gets or creates a ``Counter`` (likewise ``gauge``, ``histogram``, ``timer``, ``minmax``), and
``registry.export("prometheus" | "openmetrics" | "json")`` writes them all (``export_bytes``
also writes ``"protobuf"``).
``SharedRegistry(path_or_name)`` is the same API over one shared-memory segment that many
processes share (the workers of a pre-fork server, a multiprocessing pool). For
prometheus_client users, ``atomicperf.prometheus.Collector`` bridges either into theirs.

Benchmarks: ``atomicperf.bench.run()`` runs the core's contention suite (every primitive against
the lock it replaces) on Rust threads; ``python -m atomicperf bench`` prints it as a table and
``python -m atomicperf overhead`` measures the cost of a call from Python.

Durations: a measured duration (``Timer.record``, ``ThroughputWindow.record``) is an int of
nanoseconds, a float of seconds or a ``datetime.timedelta``; settings and timeouts (``window=``,
``sla=``, ``timeout=``) are seconds (int or float) or a ``timedelta``, as in the standard library.
"""

from . import bench as bench
from ._atomicperf import (
    OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
    PROTOBUF_CONTENT_TYPE,
    AccountClosedError,
    AccountExistsError,
    AccountNotEmptyError,
    AsyncRecorder,
    BalanceOverflowError,
    BenchReport,
    CancellationToken,
    ClosedError,
    Counter,
    Enum,
    Gauge,
    Histogram,
    Info,
    InsufficientFundsError,
    InvalidAmountError,
    Ledger,
    LedgerError,
    MinMax,
    NativeHistogram,
    NativeSnapshot,
    OnceMap,
    RateTracker,
    Registry,
    RevisionMismatchError,
    SameAccountError,
    ShardedMap,
    SharedRegistry,
    SnapshotCell,
    Summary,
    ThroughputWindow,
    Timer,
    TimerSnapshot,
    UnknownAccountError,
    WindowStats,
    __version__,
    default_registry,
    negotiate,
)

__all__ = [
    "OPENMETRICS_CONTENT_TYPE",
    "PROMETHEUS_CONTENT_TYPE",
    "PROTOBUF_CONTENT_TYPE",
    "AccountClosedError",
    "AccountExistsError",
    "AccountNotEmptyError",
    "AsyncRecorder",
    "BalanceOverflowError",
    "BenchReport",
    "CancellationToken",
    "ClosedError",
    "Counter",
    "Enum",
    "Gauge",
    "Histogram",
    "Info",
    "InsufficientFundsError",
    "InvalidAmountError",
    "Ledger",
    "LedgerError",
    "MinMax",
    "NativeHistogram",
    "NativeSnapshot",
    "OnceMap",
    "RateTracker",
    "Registry",
    "RevisionMismatchError",
    "SameAccountError",
    "ShardedMap",
    "SharedRegistry",
    "SnapshotCell",
    "Summary",
    "ThroughputWindow",
    "Timer",
    "TimerSnapshot",
    "UnknownAccountError",
    "WindowStats",
    "__version__",
    "default_registry",
    "negotiate",
]
