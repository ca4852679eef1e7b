"""Lock-free metrics primitives backed by the atomicperf Rust core.

Every class is safe to share between threads. No method takes a lock; only ``AsyncRecorder``
waits (``flush``, ``close``, a block-mode or timed ``record``) and it releases the GIL while it
does, so other Python threads run meanwhile. Integer arguments are checked: a negative or too
large int raises ``ValueError``, anything that is not an int (a float, a str) raises
``TypeError``.

Durations follow two conventions:

- a *measured* duration (``Timer.record``, ``ThroughputWindow.record``, ``AsyncRecorder.record``
  for a Timer) is an ``int`` of nanoseconds (a ``time.perf_counter_ns()`` difference), a
  ``float`` of seconds (a ``time.perf_counter()`` difference) or a ``datetime.timedelta``;
- a *setting* or *timeout* (``window=``, ``sla=``, ``timeout=``) is seconds, ``int`` or
  ``float``, or a ``datetime.timedelta``, as every timeout in ``threading`` and ``queue`` is.

Durations reported back are nanoseconds (ints) for Timer statistics and seconds (floats) for
window settings and ``WindowStats.covered``. A negative, NaN or too long duration raises
``ValueError``; a value of another type (a ``bool`` or ``str``) raises ``TypeError``.

Statistics are methods (``h.count()``, ``h.min()``, ...), as in the other atomicperf bindings;
properties are kept for the current value of a Counter or Gauge (``value``) and for a histogram's
fixed layout (``significant_figures``, ``highest``, ``relative_error``).
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Final, Literal, TypeVar, final

from atomicperf._timing import Timing

_F = TypeVar("_F", bound=Callable[..., object])

#: A measured duration: int nanoseconds, float seconds or a timedelta.
Duration = int | float | timedelta
#: A setting or timeout: seconds (int or float) or a timedelta.
Seconds = int | float | timedelta

__version__: Final[str]
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

@final
class Counter:
    """A monotonic counter of non-negative integers that many threads increment without a lock.

    Replaces an int guarded by a ``threading.Lock`` (or a prometheus_client ``Counter``). The
    counter is striped: each thread adds to its own cache-line-sized cell, and ``get()`` sums the
    cells. No increment is ever lost; ``get()`` is exact once the writers have stopped. The total
    wraps at 2**64.

    >>> c = Counter()
    >>> c.inc(); c.add(41)
    >>> c.get()
    42
    """

    def __init__(self, stripes: int | None = None) -> None:
        """Creates a counter at zero.

        :param stripes: number of cells, a power of two from 1 to 1024; ``None`` picks twice the
            number of CPUs (rounded up to a power of two, at most 64).
        :raises ValueError: if ``stripes`` is not a power of two from 1 to 1024.
        :raises TypeError: if ``stripes`` is not an int.
        """
    def inc(self) -> None:
        """Adds one. Returns nothing: with stripes there is no single previous total."""
    def add(self, n: int) -> None:
        """Adds ``n``.

        :raises ValueError: if ``n`` is negative or not below 2**64 (a counter never goes down).
        :raises TypeError: if ``n`` is not an int.
        """
    def get(self) -> int:
        """The total: the sum of every stripe."""
    @property
    def value(self) -> int:
        """The total (same as ``get()``)."""
    @property
    def stripes(self) -> int:
        """Number of stripes (a power of two)."""
    def __repr__(self) -> str:
        """``Counter(value=N)``."""

@final
class Gauge:
    """A float that many threads set and adjust without a lock.

    ``set`` and ``get`` are single atomic stores and loads; ``add``, ``sub``, ``inc``, ``dec``,
    ``set_max`` and ``set_min`` are compare-and-swap loops, so concurrent updates are never lost.

    >>> g = Gauge()
    >>> g.inc(); g.add(2.5); g.dec()
    >>> g.get()
    2.5
    """

    def __init__(self, value: float = 0.0) -> None:
        """Creates a gauge holding ``value``.

        :raises TypeError: if ``value`` is not a number.
        """
    def set(self, v: float) -> None:
        """Replaces the value with ``v``."""
    def get(self) -> float:
        """The current value."""
    def add(self, d: float) -> None:
        """Adds ``d`` (which may be negative)."""
    def sub(self, d: float) -> None:
        """Subtracts ``d``."""
    def inc(self) -> None:
        """Adds one."""
    def dec(self) -> None:
        """Subtracts one."""
    def set_max(self, v: float) -> None:
        """Raises the value to ``v`` if ``v`` is greater (a high-water mark). A NaN ``v`` is ignored."""
    def set_min(self, v: float) -> None:
        """Lowers the value to ``v`` if ``v`` is smaller (a low-water mark). A NaN ``v`` is ignored."""
    @property
    def value(self) -> float:
        """The current value (same as ``get()``)."""
    def __repr__(self) -> str:
        """``Gauge(value=X)``."""

@final
class Histogram:
    """A lock-free log-linear histogram of non-negative integers (nanoseconds by default).

    Replaces a histogram behind a lock (or a prometheus_client ``Histogram``): recording is a few
    atomic operations that never wait; reads scan the buckets. Quantiles are within
    ``relative_error`` of the true value; quantile 0 and 1, count, sum, min and max are exact.
    Values above ``highest`` are clamped to it and counted by ``overflow_count()``, never dropped.

    >>> h = Histogram()
    >>> for v in (10, 20, 30):
    ...     h.record(v)
    >>> h.count(), h.sum(), h.min(), h.max(), h.mean()
    (3, 60, 10, 30, 20.0)
    """

    def __init__(self, significant_figures: int = 2, highest: int = 60_000_000_000) -> None:
        """Creates an empty histogram tracking 0 to ``highest``.

        :param significant_figures: precision, 1 to 5 (relative error at most 6.25 %, 0.78 %,
            0.098 %, 0.0061 %, 0.00076 %). The default layout takes about 16 KiB.
        :param highest: highest trackable value, at least 2 (default 60 s in nanoseconds).
        :raises ValueError: if the precision is not 1 to 5 or ``highest`` is below 2 or negative.
        :raises TypeError: if an argument is not an int.
        """
    def record(self, v: int) -> None:
        """Records one value.

        :raises ValueError: if ``v`` is negative or not below 2**64.
        :raises TypeError: if ``v`` is not an int.
        """
    def record_n(self, v: int, n: int) -> None:
        """Records ``v`` as if ``n`` times (``n = 0`` records nothing).

        :raises ValueError: if ``v`` or ``n`` is negative or not below 2**64.
        :raises TypeError: if ``v`` or ``n`` is not an int.
        """
    def count(self) -> int:
        """Number of recorded values."""
    def sum(self) -> int:
        """Sum of the recorded (clamped) values, wrapping at 2**64."""
    def min(self) -> int | None:
        """Smallest recorded value, ``None`` when empty."""
    def max(self) -> int | None:
        """Largest recorded (clamped) value, ``None`` when empty."""
    def mean(self) -> float | None:
        """Arithmetic mean of the recorded values, ``None`` when empty."""
    def quantile(self, q: float) -> int | None:
        """The value at quantile ``q`` (0 = min, 0.5 = median, 1 = max), ``None`` when empty.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        :raises TypeError: if ``q`` is not a number.
        """
    def overflow_count(self) -> int:
        """Number of values that were above ``highest`` and were clamped to it."""
    def memory_bytes(self) -> int:
        """Bytes the histogram's state occupies (its buckets included)."""
    def snapshot(self) -> Histogram:
        """A new, independent histogram holding the values recorded so far.

        Read many statistics from one moment, or keep a copy that later records do not change.
        """
    def merge(self, other: Histogram) -> None:
        """Adds every value of ``other`` to this histogram.

        Layouts may differ: values are then re-bucketed (and clamped to this range); count, sum,
        min and max stay exact. ``other`` is unchanged.

        :raises TypeError: if ``other`` is not a Histogram.
        """
    def reset(self) -> None:
        """Empties the histogram. Records running concurrently with ``reset`` may be partly kept."""
    @property
    def significant_figures(self) -> int:
        """Precision of the bucket layout (1 to 5)."""
    @property
    def highest(self) -> int:
        """Highest trackable value; larger values are clamped to it."""
    @property
    def relative_error(self) -> float:
        """Largest relative error of a reported quantile for this layout."""
    def __repr__(self) -> str:
        """``Histogram(count=.., sum=.., min=.., max=.., significant_figures=.., highest=..)``."""

@final
class MinMax:
    """Lock-free running minimum and maximum of non-negative ints.

    Replaces a pair of ints behind a ``threading.Lock``. Recording a value that is not a new
    extreme is two atomic loads; a new extreme is a compare-and-swap loop that never waits. An
    empty MinMax says so: ``min()`` and ``max()`` return ``None``, never a sentinel. After
    concurrent ``record`` calls return, ``min()`` and ``max()`` are the exact extremes.

    >>> m = MinMax()
    >>> for v in (30, 10, 20):
    ...     m.record(v)
    >>> m.min(), m.max()
    (10, 30)
    """

    def __init__(self) -> None:
        """Creates an empty MinMax."""
    def record(self, v: int) -> None:
        """Takes ``v`` into the running extremes.

        :raises ValueError: if ``v`` is negative or not below 2**64.
        :raises TypeError: if ``v`` is not an int.
        """
    def min(self) -> int | None:
        """Smallest value recorded since creation or ``reset()``, ``None`` when empty."""
    def max(self) -> int | None:
        """Largest value recorded since creation or ``reset()``, ``None`` when empty."""
    def reset(self) -> None:
        """Forgets every value. A ``record`` racing with ``reset`` may be kept or lost."""
    def __repr__(self) -> str:
        """``MinMax(min=.., max=..)``."""

@final
class Timer:
    """Execution metrics of one operation (a handler, a rule, a query), updated without a lock.

    Replaces a struct of count, errors, total, min and max behind a ``threading.Lock``:
    concurrent ``record`` calls never wait for each other. Durations are nanoseconds in a
    histogram with the given layout; count, errors, total, min and max are exact, quantiles are
    within the histogram's precision.

    >>> t = Timer()
    >>> t.record(150_000)                 # int: nanoseconds
    >>> t.record(0.00009, ok=False)       # float: seconds
    >>> with t.time():                    # times the block with time.perf_counter_ns
    ...     pass
    >>> @t.timed                          # times every call; an exception records an error
    ... def handler():
    ...     pass
    >>> handler()
    >>> t.count(), t.errors()
    (4, 1)
    """

    def __init__(self, significant_figures: int = 2, highest: int = 60_000_000_000) -> None:
        """Creates an empty timer.

        :param significant_figures: precision of the duration histogram, 1 to 5.
        :param highest: longest trackable duration in ns (default 60 s); longer ones are clamped.
        :raises ValueError: if the precision is not 1 to 5 or ``highest`` is below 2.
        :raises TypeError: if an argument is not an int.
        """
    def record(self, duration: Duration, ok: bool = True) -> None:
        """Records one execution that took ``duration``; ``ok=False`` counts it as an error too.

        :param duration: int nanoseconds, float seconds or a ``datetime.timedelta``.
        :raises ValueError: if ``duration`` is negative, NaN or beyond 2**64 - 1 ns.
        :raises TypeError: if ``duration`` is another type (a bool included) or ``ok`` is not a bool.
        """
    def time(self) -> Timing:
        """A context manager that records the time its ``with`` block takes.

        The block is recorded as an error if it raised (the exception still propagates). The
        returned object's ``elapsed`` is the block's duration in ns once it has finished. It is
        also a decorator: ``@timer.time()`` times every call of the function (coroutine
        functions included).
        """
    def timed(self, func: _F) -> _F:
        """Decorator: records the duration of every call of ``func``, as an error if it raised.

        Same as ``@timer.time()``. Coroutine functions are timed until their result is ready.
        """
    def count(self) -> int:
        """Number of executions recorded."""
    def errors(self) -> int:
        """Number of executions recorded with ``ok=False`` (or that raised, when timed)."""
    def total(self) -> int:
        """Total duration in ns (clamped durations count as ``highest``)."""
    def min(self) -> int | None:
        """Shortest duration in ns, ``None`` when empty."""
    def max(self) -> int | None:
        """Longest (clamped) duration in ns, ``None`` when empty."""
    def mean(self) -> float | None:
        """Mean duration in ns, ``None`` when empty."""
    def quantile(self, q: float) -> int | None:
        """Duration in ns at quantile ``q`` (0.5 = median), ``None`` when empty.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        """
    def snapshot(self) -> TimerSnapshot:
        """Every statistic from one moment, as a ``TimerSnapshot`` (``.to_dict()`` for a dict)."""
    def reset(self) -> None:
        """Forgets everything recorded."""
    @property
    def significant_figures(self) -> int:
        """Precision of the duration histogram (1 to 5)."""
    @property
    def highest(self) -> int:
        """Longest trackable duration in ns; longer ones are clamped to it."""
    def __repr__(self) -> str:
        """``Timer(count=.., errors=.., total=.., min=.., max=..)``."""

@final
class TimerSnapshot:
    """A ``Timer``'s statistics from one moment; durations in ns. Immutable.

    >>> t = Timer()
    >>> t.record(100); t.record(300, ok=False)
    >>> s = t.snapshot()
    >>> s.count, s.errors, s.total, s.error_ratio
    (2, 1, 400, 0.5)
    """

    @property
    def count(self) -> int:
        """Number of executions."""
    @property
    def errors(self) -> int:
        """Number of errors."""
    @property
    def total(self) -> int:
        """Total duration in ns."""
    @property
    def min(self) -> int | None:
        """Shortest duration in ns, ``None`` when empty."""
    @property
    def max(self) -> int | None:
        """Longest duration in ns, ``None`` when empty."""
    @property
    def mean(self) -> float | None:
        """Mean duration in ns, ``None`` when empty."""
    @property
    def error_ratio(self) -> float:
        """``errors / count``, 0.0 when empty."""
    @property
    def p50(self) -> int | None:
        """Median duration in ns, ``None`` when empty."""
    @property
    def p90(self) -> int | None:
        """90th percentile in ns, ``None`` when empty."""
    @property
    def p99(self) -> int | None:
        """99th percentile in ns, ``None`` when empty."""
    @property
    def p999(self) -> int | None:
        """99.9th percentile in ns, ``None`` when empty."""
    def quantile(self, q: float) -> int | None:
        """Duration in ns at quantile ``q`` of this snapshot, ``None`` when empty.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        """
    def to_dict(self) -> dict[str, int | float | None]:
        """The statistics as a dict: count, errors, total, min, max, mean, error_ratio, p50, p90,
        p99, p999."""
    def __repr__(self) -> str:
        """``TimerSnapshot(count=.., errors=.., ...)``."""

@final
class RateTracker:
    """Per-second rates of a set of counters between successive ``rates()`` calls.

    Replaces a lock around "previous snapshot + timestamp": the previous snapshot is swapped
    atomically, so concurrent callers never block each other. Each call reads every counter and
    the monotonic clock and reports ``(value - previous) / elapsed``; the first call has nothing
    to compare with and reports zeros.

    >>> requests, errors = Counter(), Counter()
    >>> tracker = RateTracker({"requests": requests, "errors": errors})
    >>> tracker.rates()
    {'requests': 0.0, 'errors': 0.0}
    """

    def __init__(self, counters: Mapping[str, Counter] | Iterable[tuple[str, Counter]]) -> None:
        """Tracks ``counters``: a dict of name -> Counter or an iterable of (name, Counter) pairs.

        The counters are shared, not copied: increments made through them afterwards show up in
        the rates.

        :raises TypeError: if a name is not a str or a value is not an ``atomicperf.Counter``.
        :raises ValueError: if a name appears twice.
        """
    def rates(self) -> dict[str, float]:
        """Per-second rate of each counter since the previous call (from any thread), in
        registration order; zeros on the first call and over an empty interval."""
    def rates_detailed(self) -> list[tuple[str, int, float]]:
        """``(name, delta, per_second)`` for each counter since the previous call; ``delta`` is
        the counter's increase. Counts as a call for the next ``rates()``."""
    @property
    def names(self) -> list[str]:
        """Names of the tracked counters, in registration order."""
    def __repr__(self) -> str:
        """``RateTracker(names=[...])``."""

@final
class ThroughputWindow:
    """Events per second over a sliding window of time buckets, with SLA-violation counting.

    Replaces a lock around a ring of time buckets: recording is one compare-and-swap on one
    bucket and readers never block recorders. An event is a violation when its latency is
    strictly above ``sla``.

    >>> w = ThroughputWindow(window=10.0, buckets=10, sla=0.1)
    >>> for latency in (0.02, 0.05, 0.25, 0.08):   # float seconds; int would be ns
    ...     w.record(latency)
    >>> s = w.stats()
    >>> s.events, s.violations, s.violation_ratio
    (4, 1, 0.25)
    """

    def __init__(
        self, window: Seconds = 10.0, buckets: int = 10, sla: Seconds = 0.1
    ) -> None:
        """A window of ``window`` seconds split into ``buckets`` buckets.

        :param window: length of the window, seconds (int or float) or a timedelta.
        :param buckets: number of time buckets; the window slides one bucket at a time.
        :param sla: latency threshold, seconds or a timedelta; above it an event is a violation.
        :raises ValueError: for zero buckets, a zero, negative or NaN window, a negative sla, or
            buckets shorter than 1 ns.
        :raises TypeError: if an argument has the wrong type.
        """
    def record(self, latency: Duration) -> None:
        """Counts one event, and a violation if ``latency`` is above ``sla``.

        :param latency: int nanoseconds, float seconds or a timedelta (as ``Timer.record``).
        :raises ValueError: if ``latency`` is negative, NaN or too long.
        :raises TypeError: if ``latency`` is another type.
        """
    def stats(self) -> WindowStats:
        """Events, violations and rates over the current window."""
    @property
    def window(self) -> float:
        """Length of the window in seconds (rounded down to a whole number of buckets' ns)."""
    @property
    def buckets(self) -> int:
        """Number of buckets in the ring."""
    @property
    def sla(self) -> float:
        """The SLA threshold in seconds."""
    def __repr__(self) -> str:
        """``ThroughputWindow(window=.., buckets=.., sla=.., events=.., violations=..)``."""

@final
class WindowStats:
    """What a ``ThroughputWindow`` saw over its current window. Immutable."""

    @property
    def events(self) -> int:
        """Events in the window."""
    @property
    def violations(self) -> int:
        """Events whose latency was above the SLA threshold."""
    @property
    def events_per_second(self) -> float:
        """Events per second over the time the window covers (0.0 before any time passed)."""
    @property
    def violation_ratio(self) -> float:
        """``violations / events``, 0.0 when there were no events."""
    @property
    def covered(self) -> float:
        """Seconds the window covers now: its full length, or its age while younger."""
    def to_dict(self) -> dict[str, int | float]:
        """The statistics as a dict: events, violations, events_per_second, violation_ratio,
        covered."""
    def __repr__(self) -> str:
        """``WindowStats(events=.., violations=.., ...)``."""

class ClosedError(RuntimeError):
    """Raised by ``AsyncRecorder`` methods that queue an event after ``close()``."""

@final
class AsyncRecorder:
    """A bounded queue in front of a metric, applied by worker threads in batches.

    Recording costs a queue push instead of the metric update. Takes a ``Counter`` (records are
    amounts to add), ``Histogram`` or ``MinMax`` (values), ``Timer`` (``record(duration,
    ok=True)``) or ``Gauge`` (``set``, ``add``, ``set_max``, ``set_min``). On a full queue,
    ``overflow="drop"`` drops the event and counts it (the caller never waits) and
    ``overflow="block"`` waits for room. Every wait releases the GIL.

    ``close()`` (or leaving a ``with`` block) stops accepting events, applies every queued one
    and stops the workers; recording afterwards raises ``ClosedError``. Once ``flush()`` has
    returned True with no concurrent recorders, ``applied + dropped == enqueued``.

    >>> latency = Histogram()
    >>> with AsyncRecorder(latency, capacity=1024) as rec:
    ...     rec.record(1_250_000)
    ...     rec.flush(timeout=5.0)
    True
    True
    >>> latency.count()
    1
    """

    def __init__(
        self,
        metric: Counter | Gauge | Histogram | Timer | MinMax,
        capacity: int = 65536,
        workers: int = 1,
        batch: int = 256,
        overflow: Literal["drop", "block"] = "drop",
    ) -> None:
        """Starts ``workers`` threads applying queued events to ``metric`` (shared, not copied).

        :param capacity: events the queue holds.
        :param workers: worker threads.
        :param batch: most events a worker applies per wake-up.
        :param overflow: ``"drop"`` or ``"block"``: what ``record`` does on a full queue.
        :raises ValueError: if capacity, workers or batch is 0 (or negative), or ``overflow`` is
            another string.
        :raises TypeError: if ``metric`` is not one of the five metric classes, or an argument
            has the wrong type.
        """
    def record(
        self, value: Duration, ok: bool | None = None, *, timeout: Seconds | None = None
    ) -> bool:
        """Queues one event. True if queued, False if dropped (drop mode, full queue).

        For a Counter, Histogram or MinMax ``value`` is an int (as their own methods take);
        for a Timer it is a duration (int ns, float seconds or timedelta) and ``ok`` says
        whether the execution succeeded (default True). In block mode, or with ``timeout``
        (seconds), a full queue is waited on with the GIL released.

        :raises TimeoutError: if ``timeout`` passed before there was room (the event is neither
            queued nor counted as dropped).
        :raises ClosedError: after ``close()``.
        :raises TypeError: in front of a Gauge (use ``set``/``add``/``set_max``/``set_min``),
            for ``ok=`` in front of anything but a Timer, or for a value of the wrong type.
        :raises ValueError: for a negative or too large value, or a negative timeout.
        """
    def set(self, v: float, *, timeout: Seconds | None = None) -> bool:
        """Queues ``Gauge.set(v)``; as ``record`` otherwise.

        :raises TypeError: unless the recorder is in front of a Gauge.
        """
    def add(self, v: float, *, timeout: Seconds | None = None) -> bool:
        """Queues ``Gauge.add(v)``; as ``record`` otherwise.

        :raises TypeError: unless the recorder is in front of a Gauge.
        """
    def set_max(self, v: float, *, timeout: Seconds | None = None) -> bool:
        """Queues ``Gauge.set_max(v)``; as ``record`` otherwise.

        :raises TypeError: unless the recorder is in front of a Gauge.
        """
    def set_min(self, v: float, *, timeout: Seconds | None = None) -> bool:
        """Queues ``Gauge.set_min(v)``; as ``record`` otherwise.

        :raises TypeError: unless the recorder is in front of a Gauge.
        """
    def flush(self, timeout: Seconds | None = None) -> bool:
        """Waits, with the GIL released, until every event queued before the call is applied.

        :param timeout: seconds (or a timedelta); ``None`` waits as long as it takes.
        :returns: True once they are applied, False if ``timeout`` passed first.
        :raises ValueError: for a negative or NaN timeout.
        """
    def close(self) -> None:
        """Stops accepting events, applies every queued one and joins the workers, with the GIL
        released. Calling it again does nothing. Dropping the recorder also closes it."""
    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
    @property
    def enqueued(self) -> int:
        """Events offered to the recorder: queued plus dropped."""
    @property
    def applied(self) -> int:
        """Events applied to the metric."""
    @property
    def dropped(self) -> int:
        """Events dropped because the queue was full (drop mode only)."""
    @property
    def metric(self) -> Counter | Gauge | Histogram | Timer | MinMax:
        """The metric behind the queue."""
    @property
    def capacity(self) -> int:
        """Events the queue holds."""
    @property
    def workers(self) -> int:
        """Number of worker threads."""
    @property
    def batch(self) -> int:
        """Most events a worker applies per wake-up."""
    @property
    def overflow(self) -> Literal["drop", "block"]:
        """What ``record`` does on a full queue."""
    def __enter__(self) -> AsyncRecorder:
        """Returns the recorder."""
    def __exit__(self, *exc_info: object) -> bool:
        """Closes the recorder (draining the queue); never swallows an exception."""
    def __repr__(self) -> str:
        """``AsyncRecorder(metric=.., overflow=.., capacity=.., workers=.., enqueued=..,
        applied=.., dropped=.., closed=..)``."""
