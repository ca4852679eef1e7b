"""Lock-free metrics primitives backed by the atomicperf Rust core.

Every class is safe to share between threads. The metrics and ``Ledger`` take no lock;
``ShardedMap`` holds a per-shard lock for a table operation only, and never runs Python code
under it. Three things wait, and each releases the GIL while it does, so
other Python threads run meanwhile: ``AsyncRecorder`` (``flush``, ``close``, a block-mode or timed
``record``), ``OnceMap.get_or_init`` (for another caller's initialiser) and
``CancellationToken.wait``.

Byte strings (``ShardedMap`` keys and values, ``OnceMap`` keys, ``SnapshotCell`` values): a
``bytes`` object is used as it is (a stored one is returned as the same object); a ``bytearray``,
``memoryview`` or ``bytes`` subclass is copied into a new ``bytes``. Anything else raises
``TypeError``, ``str`` included: encode text first (``"a"`` and ``b"a"`` are never the same
key). Integer arguments are checked: a negative or too
large int raises ``ValueError``, anything that is not an int (a float, a str) raises
``TypeError``.

Durations follow two conventions:

- a *measured* duration (``Timer.record``, ``ThroughputWindow.record``, ``AsyncRecorder.record``
  for a Timer, ``NativeHistogram.record_duration``) is an ``int`` of nanoseconds (a ``time.perf_counter_ns()`` difference), a
  ``float`` of seconds (a ``time.perf_counter()`` difference) or a ``datetime.timedelta``;
- a *setting* or *timeout* (``window=``, ``sla=``, ``timeout=``) is seconds, ``int`` or
  ``float``, or a ``datetime.timedelta``, as every timeout in ``threading`` and ``queue`` is.

Durations reported back are nanoseconds (ints) for Timer statistics and seconds (floats) for
window settings and ``WindowStats.covered``. A negative, NaN or too long duration raises
``ValueError``; a value of another type (a ``bool`` or ``str``) raises ``TypeError``.

Statistics are methods (``h.count()``, ``h.min()``, ...), as in the other atomicperf bindings;
properties are kept for the current value of a Counter or Gauge (``value``) and for a histogram's
fixed layout (``significant_figures``, ``highest``, ``relative_error``).

Errors: every failure the core reports has a status (the C ABI's ``ap_status``, Go's ``Code``,
Node's error ``code``), and each status is raised as one class, with the core's message (and a
ledger error's values as attributes). Arguments Python cannot even convert (a ``str`` for an int,
an int beyond 2**64 - 1) raise ``TypeError`` or ``ValueError`` before the core is called.

==========================  ==============================  =======================================
status                      exception                       note
==========================  ==============================  =======================================
AP_ERR_NULL_HANDLE          TypeError                       C only: a Python object is never NULL
AP_ERR_NULL_POINTER         TypeError                       C only
AP_ERR_OUT_OF_RANGE         ValueError                      precision, quantile, stripes, config
AP_ERR_EMPTY                ValueError                      not raised: empty statistics are None
AP_ERR_BUFFER_TOO_SMALL     ValueError                      C only: Python has no caller buffers
AP_ERR_INVALID_ARGUMENT     ValueError                      names, labels, kinds, series limit
AP_ERR_INTERNAL             pyo3_runtime.PanicException     a bug (a Rust panic); a BaseException
AP_ERR_TIMEOUT              TimeoutError                    a wait ran out of time
AP_ERR_CLOSED               ClosedError                     an AsyncRecorder after close()
AP_ERR_UNKNOWN_ACCOUNT      UnknownAccountError             also a KeyError
AP_ERR_ACCOUNT_EXISTS       AccountExistsError
AP_ERR_INVALID_AMOUNT       InvalidAmountError
AP_ERR_SAME_ACCOUNT         SameAccountError
AP_ERR_INSUFFICIENT_FUNDS   InsufficientFundsError
AP_ERR_OVERFLOW             BalanceOverflowError            the only overflow the core reports
AP_ERR_REVISION_MISMATCH    RevisionMismatchError           SnapshotCell.compare_and_store
AP_ERR_ACCOUNT_CLOSED       AccountClosedError
AP_ERR_ACCOUNT_NOT_EMPTY    AccountNotEmptyError
AP_ERR_IO                   OSError                         C only: the C library's push requests
==========================  ==============================  =======================================
"""

import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeVar, final

from atomicperf._timing import Timing

_F = TypeVar("_F", bound=Callable[..., object])

#: A measured duration: int nanoseconds, float seconds or a timedelta.
Duration = int | float | timedelta
#: A setting or timeout: seconds (int or float) or a timedelta.
Seconds = int | float | timedelta
#: A byte string argument: bytes, or a bytearray or memoryview (copied).
BytesLike = bytes | bytearray | memoryview
_T = TypeVar("_T")
_D = TypeVar("_D")

__version__: Final[str]
__all__ = [
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
    "OPENMETRICS_CONTENT_TYPE",
    "OnceMap",
    "PROMETHEUS_CONTENT_TYPE",
    "PROTOBUF_CONTENT_TYPE",
    "RateTracker",
    "Registry",
    "RevisionMismatchError",
    "SameAccountError",
    "ShardedMap",
    "SnapshotCell",
    "ThroughputWindow",
    "Timer",
    "TimerSnapshot",
    "UnknownAccountError",
    "WindowStats",
    "default_registry",
    "negotiate",
    "pushgateway_url",
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
    def inc_with_exemplar(
        self, exemplar: Mapping[str, str], timestamp: float | None = None
    ) -> None:
        """Adds one and makes ``exemplar`` (a trace's labels, such as ``trace_id``) the counter's
        exemplar, stamped with ``timestamp`` (seconds since the Unix epoch, or none). A registry
        exports the latest one in OpenMetrics and protobuf, never in the Prometheus text format.
        A separate method, so that ``inc()`` stays a call without arguments.

        :raises ValueError: for a label name outside the Prometheus data model, one given twice,
            more than 128 characters of names and values together (OpenMetrics' limit) or a
            timestamp that is not finite; nothing is added then.
        :raises TypeError: if ``exemplar`` is not a dict of str to str.
        """
    def add_with_exemplar(
        self, n: int, exemplar: Mapping[str, str], timestamp: float | None = None
    ) -> None:
        """Adds ``n`` with an exemplar (value ``n``), as ``inc_with_exemplar``.

        :raises ValueError: as ``add`` and ``inc_with_exemplar``.
        :raises TypeError: as ``add`` and ``inc_with_exemplar``.
        """
    def exemplar(self) -> Exemplar | None:
        """The latest exemplar as ``(labels, value, timestamp)``, or None."""
    def get(self) -> int:
        """The total: the sum of every stripe."""
    @property
    def value(self) -> int:
        """The total (same as ``get()``)."""
    @property
    def stripes(self) -> int:
        """Number of stripes (a power of two)."""
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
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
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
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
    def record_with_exemplar(
        self, v: int, exemplar: Mapping[str, str], timestamp: float | None = None
    ) -> None:
        """Records ``v`` and makes ``exemplar`` (a trace's labels, such as ``trace_id``) the
        exemplar of the exported bucket ``v`` falls in, stamped with ``timestamp`` (seconds since
        the Unix epoch, or none). A registry exports the latest exemplar of each ``le`` bucket in
        OpenMetrics and protobuf, its value in the exported unit (seconds for nanoseconds).

        :raises ValueError: as ``record`` and ``Counter.inc_with_exemplar``; nothing is recorded
            then.
        :raises TypeError: as ``record`` and ``Counter.inc_with_exemplar``.
        """
    def exemplars(self) -> list[Exemplar | None]:
        """The latest exemplar of each exported bucket (``+Inf`` last; a histogram outside a
        registry keeps one), each ``(labels, value, timestamp)`` or None."""
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
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
    def __repr__(self) -> str:
        """``Histogram(count=.., sum=.., min=.., max=.., significant_figures=.., highest=..)``."""

#: An exemplar read back: its labels (in name order), its value and its timestamp (seconds since
#: the Unix epoch) or None.
Exemplar = tuple[dict[str, str], float, float | None]

@final
class Info:
    """Label pairs that describe something (a build's version and commit), exported as one sample
    ``<name>_info{...} 1``: OpenMetrics' ``info`` type (a gauge in the Prometheus text format), as
    prometheus_client's ``Info``. ``set`` replaces the pairs as a whole; an export sees the old
    pairs or the new ones, never a mix.

    >>> build = Info()
    >>> build.set({"version": "1.4.2", "commit": "9b339de"})
    >>> build.get()
    {'commit': '9b339de', 'version': '1.4.2'}
    """

    def __init__(self) -> None:
        """Creates an Info with no pairs."""
    def set(self, pairs: Mapping[str, str]) -> None:
        """Replaces the pairs (exported sorted by name).

        :raises ValueError: for a label name outside the Prometheus data model, or one of a
            registry Info's own label names; the pairs are then unchanged.
        :raises TypeError: if ``pairs`` is not a dict of str to str.
        """
    def get(self) -> dict[str, str]:
        """The pairs, in name order."""
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
    def __repr__(self) -> str:
        """``Info({...})``."""

@final
class Enum:
    """Which one of a fixed set of states something is in (a task starting, running, stopped),
    exported as one sample per state, 1 for the current one and 0 for the others: OpenMetrics'
    ``stateset`` type (a gauge in the Prometheus text format), as prometheus_client's ``Enum``.
    Starts in its first state; ``set`` is one atomic store.

    >>> task = Enum(["starting", "running", "stopped"])
    >>> task.set("running")
    >>> task.get(), task.index
    ('running', 1)
    """

    def __init__(self, states: Sequence[str]) -> None:
        """Creates an Enum over ``states``, in the first.

        :raises ValueError: for no states, an empty state or one given twice.
        :raises TypeError: if ``states`` is not a sequence of str.
        """
    def set(self, state: str) -> None:
        """Makes ``state`` the current state.

        :raises ValueError: if ``state`` is not one of the states (nothing changes).
        """
    def get(self) -> str:
        """The current state."""
    @property
    def index(self) -> int:
        """The index of the current state in ``states``."""
    @property
    def states(self) -> list[str]:
        """Every state, in the order given."""
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
    def __repr__(self) -> str:
        """``Enum(state=.., states=[..])``."""

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
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
    def __repr__(self) -> str:
        """``MinMax(min=.., max=..)``."""

@final
class NativeHistogram:
    """A lock-free histogram of floats with the exponential buckets of Prometheus native
    histograms: what client_golang records for a histogram with ``NativeHistogramBucketFactor``,
    and what a Prometheus server stores as one series instead of a dozen ``le`` buckets.

    At schema ``s``, bucket ``k`` holds the values ``v`` with ``b**(k-1) < |v| <= b**k``,
    ``b = 2 ** (2 ** -s)`` (at the default schema 3, ``(2**((k-1)/8), 2**(k/8)]``); negative
    values have buckets of their own, values with ``|v| <= zero_threshold`` go to the zero
    bucket, NaN to no bucket (it is counted, and the sum becomes NaN), +-inf to the bucket past
    the largest float. A value on a boundary lands where every Prometheus client puts it (the
    core computes the bucket exactly as client_golang does).

    Recording never waits: a few instructions to find the bucket, one atomic add to it and one to
    a striped sum. Any value is kept (no clamping): values outside ``dense_range`` go to tables
    allocated on first use. The default histogram takes under 4 KiB. A quantile is within
    ``relative_error`` (9.05 % at schema 3) of the value of that rank.

    Registered in a ``Registry`` (``Registry.native_histogram``), it is exported in the protobuf
    format with its native buckets (``Registry.export_bytes("protobuf")``, what
    ``atomicperf.prometheus.make_wsgi_app`` serves when Prometheus asks for it), and in the text
    formats as a classic histogram.

    >>> h = NativeHistogram()
    >>> for v in (0.001, 0.002, 0.004):
    ...     h.record(v)
    >>> h.count(), round(h.sum(), 6)
    (3, 0.007)
    >>> h.snapshot().positive  # 2**-10 < 0.001 <= 2**(-79/8), and so on
    [(-79, 1), (-71, 1), (-63, 1)]
    """

    def __init__(
        self,
        *,
        schema: int = 3,
        zero_threshold: float | None = None,
        dense_range: tuple[float, float] | None = None,
    ) -> None:
        """Creates an empty native histogram.

        :param schema: -4 to 8: neighbouring bucket boundaries a factor ``2 ** (2 ** -schema)``
            apart (3: 1.0905, 9.05 % relative error; 8 is the finest, -4 the coarsest).
        :param zero_threshold: values of magnitude at most this count in the zero bucket; a
            finite number >= 0, default ``2**-128`` (client_golang's default).
        :param dense_range: ``(lowest, highest)``, the positive values kept in a fixed array of
            buckets, default ``(1e-9, 3600.0)`` (1 ns to 1 h in seconds). Speed and memory only:
            values outside it are recorded as exactly, in tables allocated on first use.
            ``0 < lowest <= highest``, both finite, at most 65,536 buckets.
        :raises ValueError: for a schema outside -4..8, a negative or non-finite threshold, or a
            bad dense range.
        :raises TypeError: if an option has the wrong type.
        """
    def record(self, value: float) -> None:
        """Records one value (any real number: int, float, NaN and +-inf included).

        :raises TypeError: if ``value`` is not a real number.
        """
    def record_duration(self, duration: int | float | timedelta) -> None:
        """Records a measured duration, in seconds: an int of nanoseconds (a
        ``time.perf_counter_ns()`` difference), a float of seconds (a ``time.perf_counter()``
        difference, rounded to the nanosecond) or a ``datetime.timedelta``, as ``Timer.record``
        takes it. The nanoseconds become seconds as Go's ``Duration.Seconds()`` computes them, so
        a duration lands in the bucket client_golang puts it in.

        :raises ValueError: for a negative, NaN or too long duration.
        :raises TypeError: for another type (a ``bool`` or ``str``).
        """
    def count(self) -> int:
        """Number of recorded values, NaN included."""
    def sum(self) -> float:
        """Sum of the recorded values (NaN once a NaN is recorded; +-inf likewise)."""
    def zero_count(self) -> int:
        """Number of values in the zero bucket."""
    def quantile(self, q: float) -> float | None:
        """The value of rank ``q`` (0 to 1), estimated as Prometheus' ``histogram_quantile``
        estimates it from a native histogram (interpolated exponentially inside the bucket of
        that rank); ``None`` while empty, NaN if only NaN was recorded.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        :raises TypeError: if ``q`` is not a number.
        """
    def snapshot(self) -> NativeSnapshot:
        """Every statistic and bucket from one moment."""
    def merge(self, other: NativeHistogram | NativeSnapshot) -> None:
        """Adds every value of ``other`` to this histogram. A finer schema merges exactly (its
        buckets nest in this histogram's); values within this histogram's zero threshold count
        in its zero bucket. ``other`` is unchanged.

        :raises ValueError: if ``other``'s schema is coarser than this histogram's.
        :raises TypeError: if ``other`` is neither a NativeHistogram nor a NativeSnapshot.
        """
    def reset(self) -> None:
        """Sets every count and the sum back to zero. Records running concurrently with
        ``reset`` are kept or lost whole in the counts."""
    def memory_bytes(self) -> int:
        """Bytes the histogram occupies (its buckets and the tables allocated so far)."""
    @property
    def schema(self) -> int:
        """The schema (-4 to 8)."""
    @property
    def zero_threshold(self) -> float:
        """Values of magnitude at most this count in the zero bucket."""
    @property
    def dense_range(self) -> tuple[float, float]:
        """``(lowest, highest)``: the positive values kept in the fixed bucket array."""
    @property
    def bucket_factor(self) -> float:
        """Factor between neighbouring bucket boundaries, ``2 ** (2 ** -schema)``."""
    @property
    def relative_error(self) -> float:
        """Largest relative error of a value estimated inside its bucket
        (``bucket_factor - 1``: 0.0905 at schema 3)."""
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same histogram (two registry look-ups of one
        series)."""
    def __hash__(self) -> int:
        """Hash of the histogram's identity."""
    def __repr__(self) -> str:
        """``NativeHistogram(count=.., sum=.., schema=.., zero_threshold=..)``."""

@final
class NativeSnapshot:
    """A ``NativeHistogram``'s state at one moment (immutable): schema, zero bucket, NaN count,
    count, sum, and the non-empty buckets by key. Bucket ``k`` of ``positive`` holds the values
    above ``bucket_bound(k - 1)`` up to ``bucket_bound(k)``; bucket ``k`` of ``negative`` the
    values whose magnitude is in positive bucket ``k``."""

    @property
    def schema(self) -> int:
        """The schema."""
    @property
    def zero_threshold(self) -> float:
        """The zero threshold."""
    @property
    def zero_count(self) -> int:
        """Values in the zero bucket."""
    @property
    def nan_count(self) -> int:
        """NaN values recorded (in ``count``, in no bucket)."""
    @property
    def count(self) -> int:
        """Number of recorded values, NaN included."""
    @property
    def sum(self) -> float:
        """Sum of the recorded values."""
    @property
    def positive(self) -> list[tuple[int, int]]:
        """The non-empty buckets of positive values: ``(key, count)`` by key (a new list)."""
    @property
    def negative(self) -> list[tuple[int, int]]:
        """The non-empty buckets of negative values: ``(key, count)`` by key (a new list)."""
    def bucket_bound(self, key: int) -> float:
        """The upper bound of positive bucket ``key`` at this schema (``inf`` past the largest
        float): ``2 ** (key * 2 ** -schema)``, as Prometheus computes it.

        :raises OverflowError: if ``key`` does not fit 32 bits.
        """
    def cumulative_count(self, le: float) -> int:
        """Values whose bucket lies wholly at or below ``le``: what a classic bucket ``le``
        counts (exact when ``le`` is a bucket boundary, such as a power of two)."""
    def quantile(self, q: float) -> float | None:
        """As ``NativeHistogram.quantile``, from this moment.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        """
    def to_dict(self) -> dict[str, Any]:
        """The snapshot as a dict: ``schema``, ``zero_threshold``, ``zero_count``,
        ``nan_count``, ``count``, ``sum``, ``positive``, ``negative``."""
    def __eq__(self, other: object) -> bool:
        """True when both snapshots hold the same state (a NaN sum is never equal)."""
    def __repr__(self) -> str:
        """``NativeSnapshot(schema=.., ...)``."""

@final
class Summary:
    """Quantiles over a sliding window of time, with the count and sum of every value ever
    recorded: client_golang's Summary (objectives over ``MaxAge``, sliding by ``AgeBuckets``),
    lock-free. Recording costs about a ``Histogram`` record (a ring of histograms, one per age
    bucket, and a coarse clock read). Quantiles are within the histograms' precision (0.78 %
    with 2 significant figures; 0 and 1 are the exact min and max) over the values of the last
    ``max_age`` seconds, in steps of ``max_age / age_buckets``; ``count()`` and ``sum()`` are over
    all time.

    >>> s = Summary(quantiles=(0.5, 0.99), max_age=60)
    >>> for v in range(1, 101):
    ...     s.record(v)
    >>> s.count(), s.sum(), s.quantile(0.5)
    (100, 5050, 50)
    """

    def __init__(
        self,
        *,
        quantiles: Iterable[float] | None = None,
        max_age: Seconds | None = None,
        age_buckets: int | None = None,
        significant_figures: int | None = None,
        highest: int | None = None,
    ) -> None:
        """Creates an empty summary.

        :param quantiles: the quantiles ``quantiles()`` and a registry's export report, each in
            [0, 1], none twice (default 0.5, 0.9, 0.99; empty: none).
        :param max_age: how long a value counts towards the quantiles, seconds or timedelta
            (default 600).
        :param age_buckets: in how many steps the window slides, 1 to 255 (default 5); each step
            (``max_age / age_buckets``) at least 1 ms.
        :param significant_figures: precision of the histograms, 1 to 5 (default 2).
        :param highest: highest trackable value (default 60 s in nanoseconds).
        :raises ValueError: for any option out of range, saying which.
        """
    def record(self, v: int) -> None:
        """Records one value (nanoseconds for a duration).

        :raises ValueError: if ``v`` is negative or not below 2**64.
        :raises TypeError: if ``v`` is not an int.
        """
    def record_duration(self, d: Duration) -> None:
        """Records a duration (int ns, float seconds or timedelta) in nanoseconds."""
    def count(self) -> int:
        """Values recorded since creation."""
    def sum(self) -> int:
        """Sum of the values recorded since creation, wrapping at 2**64."""
    def window_count(self) -> int:
        """Values in the window now."""
    def quantile(self, q: float) -> int | None:
        """The value at quantile ``q`` of the window's values, None when the window is empty.

        :raises ValueError: if ``q`` is NaN or outside [0, 1].
        """
    def quantiles(self) -> list[tuple[float, int | None]]:
        """The configured quantiles over the window, as (q, value or None)."""
    @property
    def objectives(self) -> list[float]:
        """The configured quantiles, sorted."""
    @property
    def max_age(self) -> float:
        """The window's length in seconds."""
    @property
    def age_buckets(self) -> int:
        """In how many steps the window slides."""

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
    def __eq__(self, other: object) -> bool:
        """True when both objects wrap the same metric (two registry look-ups of one series)."""
    def __hash__(self) -> int:
        """Hash of the wrapped metric's identity."""
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

    def __init__(self, window: Seconds = 10.0, buckets: int = 10, sla: Seconds = 0.1) -> None:
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

@final
class ShardedMap:
    """A concurrent hash map of byte strings to byte strings, sharded by key.

    Replaces a dict behind one ``threading.Lock``: the keys are spread over independently locked
    shards (a power of two, four per CPU by default). Every call is one short table operation;
    no lock is ever held while Python code runs, and no method hands out a view into the map:
    reads return the stored ``bytes`` objects, and ``snapshot``/``items``/``keys``/``values``/
    iteration copy the entries shard by shard (each shard consistent in itself; entries
    changed concurrently may or may not appear).

    Also a mapping: ``m[k]`` (``KeyError`` if absent), ``m[k] = v``, ``del m[k]``, ``k in m``,
    ``len(m)``, ``iter(m)``.

    >>> sessions = ShardedMap()
    >>> sessions.insert(b"alice", b"token-1") is None
    True
    >>> sessions.get(b"alice")
    b'token-1'
    >>> sessions.compute_if_absent(b"bob", lambda: b"token-2")
    b'token-2'
    >>> sorted(sessions)
    [b'alice', b'bob']
    """

    def __init__(self, shards: int | None = None) -> None:
        """An empty map.

        :param shards: number of shards, a power of two from 1 to 4096 (default: four per CPU).
        :raises ValueError: for another shard count.
        :raises TypeError: if ``shards`` is not an int.
        """
    def get(self, key: BytesLike, default: _D | None = None) -> bytes | _D | None:
        """The value for ``key``, or ``default`` if absent.

        :raises TypeError: if ``key`` is not a byte string.
        """
    def insert(self, key: BytesLike, value: BytesLike) -> bytes | None:
        """Sets ``key`` to ``value``; returns the previous value, or None.

        :raises TypeError: if ``key`` or ``value`` is not a byte string.
        """
    def remove(self, key: BytesLike) -> bytes | None:
        """Removes ``key``; returns its value, or None if it was absent."""
    def contains(self, key: BytesLike) -> bool:
        """Whether ``key`` is present (same as ``key in m``)."""
    def compute_if_absent(self, key: BytesLike, fn: Callable[[], BytesLike]) -> bytes:
        """The value for ``key``; if absent, calls ``fn()`` and inserts its result unless
        another caller inserted a value first. Returns the value the map holds: every racing
        caller gets the same one.

        ``fn`` runs with no lock held, so it may use this map (or block, or raise); the price is
        that when several threads race on an absent key, each may run its ``fn``, and only one
        result wins (the others are discarded). If ``fn`` inserts ``key`` itself, that value
        wins. If ``fn`` raises, nothing is inserted and the exception propagates.

        :raises TypeError: if ``key`` or ``fn``'s result is not a byte string.
        """
    def clear(self) -> None:
        """Removes every entry (shard by shard)."""
    def snapshot(self) -> dict[bytes, bytes]:
        """A dict copy of every entry."""
    def items(self) -> list[tuple[bytes, bytes]]:
        """A list copy of every (key, value) pair."""
    def keys(self) -> list[bytes]:
        """A list copy of every key."""
    def values(self) -> list[bytes]:
        """A list copy of every value."""
    @property
    def shards(self) -> int:
        """Number of shards (a power of two)."""
    def __len__(self) -> int:
        """Number of entries (shards are counted one after another)."""
    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is present; ``TypeError`` if it is not a byte string."""
    def __getitem__(self, key: BytesLike) -> bytes:
        """The value for ``key``; ``KeyError`` if absent."""
    def __setitem__(self, key: BytesLike, value: BytesLike) -> None:
        """Sets ``key`` to ``value``."""
    def __delitem__(self, key: BytesLike) -> None:
        """Removes ``key``; ``KeyError`` if absent."""
    def __iter__(self) -> Iterator[bytes]:
        """Iterates over a snapshot of the keys (changes during iteration are not seen)."""
    def __repr__(self) -> str:
        """``ShardedMap(len=.., shards=..)``."""

class LedgerError(ValueError):
    """Base class of every error a ``Ledger`` operation raises (each core error has its own
    subclass); a ``ValueError``. Nothing changes when one is raised."""

class UnknownAccountError(LedgerError, KeyError):
    """No account has this id; also a ``KeyError``. ``str()`` is the message.

    :ivar account: the id.
    """

    account: int

class AccountExistsError(LedgerError):
    """``open()`` of an id that is already open.

    :ivar account: the id.
    """

    account: int

class InvalidAmountError(LedgerError):
    """An amount that is not from 1 to 2**63 - 1 (zero, negative or too large).

    :ivar amount: the amount given.
    """

    amount: int

class SameAccountError(LedgerError):
    """A transfer from an account to itself.

    :ivar account: the id.
    """

    account: int

class InsufficientFundsError(LedgerError):
    """A withdrawal or transfer that would take an account without overdraft below zero.

    :ivar account: the account debited.
    :ivar balance: its balance at the time.
    :ivar amount: the amount asked for.
    """

    account: int
    balance: int
    amount: int

class BalanceOverflowError(LedgerError):
    """An operation that would take a balance outside -2**63 .. 2**63 - 1.

    :ivar account: the account whose balance would overflow.
    """

    account: int

class AccountClosedError(LedgerError):
    """An operation on a closed account (``reopen()`` it to use it again), ``open()`` of a closed
    id, or ``close()`` of one already closed.

    :ivar account: the id.
    """

    account: int

class AccountNotEmptyError(LedgerError):
    """``close()`` of an account whose balance is not 0, or that has a transfer from it in flight.

    :ivar account: the id.
    :ivar balance: its balance at the time (0 when only a transfer in flight kept it open).
    """

    account: int
    balance: int

@final
class Ledger:
    """Accounts keyed by int ids (0 to 2**64 - 1) with int balances (-2**63 to 2**63 - 1).

    Replaces a dict of balances behind one ``threading.Lock`` (the account service) and takes no
    lock at all: an account is found through an index readers never write, and a balance changes
    by compare-and-swap, so operations on different accounts do not wait for each other and
    opposite transfers never deadlock. A transfer debits, then credits (giving the debit back if
    the credit fails); concurrent transfers conserve ``total()``. ``open_hot()`` opens an account
    that many transfers credit at once; ``close()`` / ``reopen()`` retire an empty account;
    ``transfer_many()`` runs a batch in one call with the GIL released.

    Errors are ``LedgerError`` subclasses (all ``ValueError``): ``UnknownAccountError`` (also a
    ``KeyError``), ``AccountExistsError``, ``AccountClosedError``, ``AccountNotEmptyError``,
    ``InvalidAmountError``, ``SameAccountError``, ``InsufficientFundsError``,
    ``BalanceOverflowError``; an operation that raises changes nothing. An id that is negative or at least 2**64 raises ``ValueError``; an id or amount
    that is not an int raises ``TypeError``.

    >>> bank = Ledger()
    >>> bank.open(1); bank.open(2)
    >>> bank.deposit(1, 100)
    100
    >>> bank.transfer(1, 2, 30)
    >>> bank.balance(1), bank.balance(2), bank.total()
    (70, 30, 100)
    """

    def __init__(self) -> None:
        """An empty ledger."""
    def open(self, id: int, overdraft: bool = False) -> None:
        """Opens account ``id`` at balance 0; ``overdraft=True`` lets its balance go below 0.

        :raises AccountExistsError: if ``id`` is already open.
        :raises AccountClosedError: if ``id`` was closed (see ``reopen``).
        """
    def open_hot(self, id: int, overdraft: bool = False) -> None:
        """Opens account ``id`` as a hot account: one that many transfers credit at once (a
        merchant, a fee account). Its credits go to per-thread stripes that debits and reads sum,
        so that concurrent credits do not all wait for one cache line.

        :raises AccountExistsError, AccountClosedError: as ``open``.
        """
    def close(self, id: int) -> None:
        """Closes account ``id``; operations on it then raise ``AccountClosedError`` until
        ``reopen``.

        :raises AccountNotEmptyError: if its balance is not 0 or a transfer from it is in flight
            (nothing changes).
        :raises AccountClosedError: if it is already closed.
        :raises UnknownAccountError: if ``id`` was never opened.
        """
    def reopen(self, id: int) -> None:
        """Reopens closed account ``id`` at balance 0 (with its overdraft setting).

        :raises AccountExistsError: if it is open.
        :raises UnknownAccountError: if ``id`` was never opened.
        """
    def transfer_many(
        self, transfers: Iterable[tuple[int, int, int]] | BytesLike | array[int]
    ) -> list[LedgerError | None]:
        """Applies ``(from_id, to_id, amount)`` transfers in order, each all-or-nothing as
        ``transfer``, in one call that releases the GIL while it runs. Much cheaper per transfer
        than one ``transfer`` call each, the buffer form most of all.

        ``transfers`` is either

        - an iterable of ``(from_id, to_id, amount)`` tuples (or other sequences of three ints), or
        - a buffer of 8-byte native-endian integers, three per transfer: ``from_id`` and ``to_id``
          read unsigned, ``amount`` signed (``bytes``, ``bytearray``, ``memoryview`` or
          ``array.array``): ``array("q", [1, 2, 30, 1, 3, 5])`` is the two transfers
          ``(1, 2, 30), (1, 3, 5)``; a NumPy ``int64`` array of shape ``(n, 3)`` is one through
          ``memoryview(a)`` or ``a.tobytes()``. Nothing is converted per transfer; a ``bytes``
          object is read in place, another buffer copied once.

        Returns one entry per transfer: ``None`` if it was applied, else the exception
        ``transfer`` would have raised (an instance, not raised), so that one failed transfer
        neither stops the batch nor hides which ones went through::

            failed = [(t, e) for t, e in zip(batch, bank.transfer_many(batch)) if e]

        A malformed batch raises before any transfer runs: ``TypeError`` for an item that is not
        a sequence of three ints, ``ValueError`` for an id outside 0 .. 2**64 - 1 or a buffer
        whose length is not a multiple of 24 bytes, ``InvalidAmountError`` for an amount outside
        -2**63 .. 2**63 - 1.

        While the batch runs, an account it has transferred from counts as having a transfer in
        flight until it returns: ``close()`` of it raises ``AccountNotEmptyError`` meanwhile.
        """
    def deposit(self, id: int, amount: int) -> int:
        """Adds ``amount`` (1 to 2**63 - 1) to account ``id``; returns the new balance.

        :raises InvalidAmountError, UnknownAccountError, AccountClosedError, BalanceOverflowError:
        """
    def withdraw(self, id: int, amount: int) -> int:
        """Takes ``amount`` from account ``id``; returns the new balance.

        :raises InvalidAmountError, UnknownAccountError, AccountClosedError, BalanceOverflowError:
        :raises InsufficientFundsError: if the balance would go below 0 and the account has no
            overdraft.
        """
    def transfer(self, from_id: int, to_id: int, amount: int) -> None:
        """Moves ``amount`` from ``from_id`` to ``to_id`` atomically.

        :raises InvalidAmountError, SameAccountError, UnknownAccountError, AccountClosedError,
            InsufficientFundsError, BalanceOverflowError: and then nothing changed.
        """
    def balance(self, id: int) -> int:
        """The balance of account ``id``.

        :raises UnknownAccountError: if ``id`` was never opened.
        :raises AccountClosedError: if it is closed.
        """
    def total(self) -> int:
        """Sum of all balances (never overflows). Exact when no transfer runs concurrently;
        during transfers a transfer may be seen on one side only."""
    def __len__(self) -> int:
        """Number of open accounts."""
    def __contains__(self, id: int) -> bool:
        """Whether account ``id`` is open (a closed account is not)."""
    def __repr__(self) -> str:
        """``Ledger(accounts=.., total=..)``."""

class RevisionMismatchError(ValueError):
    """``SnapshotCell.compare_and_store`` found another revision than the expected one; the
    value was not stored.

    :ivar expected: the revision the caller expected.
    :ivar current: the cell's revision at the time.
    """

    expected: int
    current: int

@final
class SnapshotCell:
    """A read-mostly byte string replaced atomically, with a revision and an update time.

    Replaces a value behind a ``threading.RLock`` plus "last refresh" bookkeeping (a config or
    rate table): readers never wait for a writer nor for each other, and ``load_with_revision``
    always pairs a value with the revision it was stored under. Revisions start at 0 (the
    initial value) and go up by one per store; no reader ever sees them go backwards.

    >>> rates = SnapshotCell(b"v1")
    >>> rates.store(b"v2")
    1
    >>> rates.load_with_revision()
    (b'v2', 1)
    >>> rates.compare_and_store(1, b"v3")
    2
    """

    def __init__(self, value: BytesLike) -> None:
        """A cell holding ``value`` at revision 0.

        :raises TypeError: if ``value`` is not a byte string.
        """
    def load(self) -> bytes:
        """The current value."""
    def load_with_revision(self) -> tuple[bytes, int]:
        """The current value and the revision it was stored under."""
    def store(self, value: BytesLike) -> int:
        """Replaces the value; returns its new revision."""
    def compare_and_store(self, expected: int, value: BytesLike) -> int:
        """Replaces the value only if the revision is still ``expected``; returns the new
        revision.

        :raises RevisionMismatchError: if another store came first (``.current`` is the
            revision now); the value is not stored.
        :raises ValueError: if ``expected`` is negative or at least 2**64.
        """
    @property
    def revision(self) -> int:
        """The current revision."""
    @property
    def age(self) -> float:
        """Seconds (a float, monotonic clock) since the last store, or since creation."""
    @property
    def last_updated(self) -> datetime:
        """Wall-clock time of the last store (or of creation), an aware ``datetime`` in UTC."""
    def __repr__(self) -> str:
        """``SnapshotCell(revision=.., len=.., age=..)``; ``len`` is the value's size."""

@final
class OnceMap:
    """Get-or-initialise once per key: concurrent callers for one key run one initialiser and
    all receive its value; a failing initialiser is not cached.

    Replaces a dict plus a lock held across initialisation (a client hub: one connection per
    service). Keys are byte strings; values are any Python object, held as they are (not
    copied). Callers of different keys never wait for each other; callers of a key being
    initialised wait with the GIL released. A ``fn`` that raises caches nothing: its exception
    propagates to its caller, and one of the callers waiting for the key runs its own ``fn``.

    Values are held strongly until ``remove()`` or until the map is freed; the map does not take
    part in garbage collection, so a value that refers back to the map keeps both alive.

    >>> clients = OnceMap()
    >>> clients.get_or_init(b"billing", lambda: ["connected to billing"])
    ['connected to billing']
    >>> clients.get(b"billing")
    ['connected to billing']
    """

    def __init__(self) -> None:
        """An empty map."""
    def get_or_init(
        self, key: BytesLike, fn: Callable[[], _T], timeout: Seconds | None = None
    ) -> _T:
        """The value for ``key``; if no caller has initialised it, calls ``fn()`` (with the
        GIL) and stores its result. While another caller's ``fn`` runs for ``key``, waits for
        it with the GIL released.

        :param timeout: seconds (or a timedelta) to wait for another caller's ``fn``; ``None``
            waits as long as it takes. ``fn`` itself is never interrupted.
        :raises TimeoutError: if another caller's ``fn`` was still running at the timeout.
        :raises RuntimeError: if ``fn`` calls ``get_or_init`` for its own key on this map (it
            would wait for itself forever).
        :raises TypeError: if ``key`` is not a byte string.
        :raises ValueError: for a negative or NaN timeout.
        :raises Exception: whatever ``fn`` raised (nothing is cached).
        """
    def get(self, key: BytesLike, default: object = None) -> object:
        """The value for ``key`` if it was initialised, else ``default``."""
    def remove(self, key: BytesLike) -> object | None:
        """Forgets ``key`` (the next ``get_or_init`` initialises it again); returns its value,
        or None. A ``fn`` running for ``key`` meanwhile still completes its callers."""
    def __len__(self) -> int:
        """Number of initialised keys."""
    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is initialised."""
    def __getitem__(self, key: BytesLike) -> object:
        """The value for ``key``; ``KeyError`` if it is not initialised."""
    def __repr__(self) -> str:
        """``OnceMap(len=..)``."""

@final
class CancellationToken:
    """A cancellation signal for a tree of tasks: ``cancel()`` once, and every holder of the
    token or of one of its children sees it.

    Replaces a ``threading.Event`` per task plus the bookkeeping to set the children's:
    ``is_cancelled`` is one atomic load, ``wait`` sleeps on a condition variable with the GIL
    released (no polling). Children are cancelled with their parent, not the other way round;
    a child of a cancelled token starts cancelled.

    >>> shutdown = CancellationToken()
    >>> request = shutdown.child()
    >>> shutdown.cancel()
    >>> request.is_cancelled, request.wait(timeout=1.0)
    (True, True)
    """

    def __init__(self) -> None:
        """A token that is not cancelled."""
    def cancel(self) -> None:
        """Cancels this token and all its descendants, waking every waiter. Idempotent."""
    @property
    def is_cancelled(self) -> bool:
        """Whether the token was cancelled."""
    def child(self) -> CancellationToken:
        """A new token, cancelled when this one is (and cancellable on its own)."""
    def wait(self, timeout: Seconds | None = None) -> bool:
        """Waits, with the GIL released, until the token is cancelled or ``timeout`` passes.

        :param timeout: seconds (or a timedelta); ``None`` waits as long as it takes.
        :returns: True if cancelled, False if the timeout passed first.
        :raises ValueError: for a negative or NaN timeout.
        """
    def __repr__(self) -> str:
        """``CancellationToken(cancelled=..)``."""

#: Content type of ``Registry.export("prometheus")`` (text exposition format 0.0.4).
PROMETHEUS_CONTENT_TYPE: Final[str]
#: Content type of ``Registry.export("openmetrics")`` (OpenMetrics 1.0).
OPENMETRICS_CONTENT_TYPE: Final[str]
#: Content type of ``Registry.export_bytes("protobuf")``: delimited
#: ``io.prometheus.client.MetricFamily`` messages.
PROTOBUF_CONTENT_TYPE: Final[str]

#: An export format of ``Registry.export_bytes``.
ExportFormat = Literal["prometheus", "openmetrics", "protobuf", "json"]
#: A format a scrape can negotiate (``negotiate``).
ScrapeFormat = Literal["prometheus", "openmetrics", "protobuf"]

def negotiate(accept_header: str) -> tuple[ScrapeFormat, str]:
    """The format to answer a scrape with, and its content type, from the request's ``Accept``
    header: the supported media range with the highest ``q`` (the first of equals), as
    Prometheus negotiates; the core's rule, so every atomicperf language answers alike.

    Protobuf needs ``proto=io.prometheus.client.MetricFamily`` and ``encoding=delimited``;
    ``application/openmetrics-text`` gets OpenMetrics 1.0; ``text/plain``, ``*/*``, an empty or
    unsupported header get Prometheus text 0.0.4.

    >>> negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    ...           "encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.3")[0]
    'protobuf'
    >>> negotiate("")
    ('prometheus', 'text/plain; version=0.0.4; charset=utf-8')

    Serve with ``body = registry.export_bytes(fmt)`` and ``Content-Type: content_type``.
    """

def pushgateway_url(
    gateway: str, job: str, grouping_key: Sequence[tuple[str, str]] | None = None
) -> str:
    """The URL of the Pushgateway group ``job`` with the ``grouping_key`` labels (name, value
    pairs, in their order): ``gateway`` without its trailing ``/``, then
    ``/metrics/job/<job>{/<label>/<value>}``, each value encoded as the gateway decodes it (a
    value with a ``/``, an empty one, ``.`` or ``..`` in base64 after ``<label>@base64``, any
    other percent-encoded). The core's rule, the same in every atomicperf language;
    ``atomicperf.prometheus.push_to_gateway`` and its peers send their requests there.

    >>> pushgateway_url("http://127.0.0.1:9091", "backup", [("path", "/var/tmp")])
    'http://127.0.0.1:9091/metrics/job/backup/path@base64/L3Zhci90bXA'

    Raises ``ValueError`` for an empty job, a grouping label name outside
    ``[a-zA-Z_][a-zA-Z0-9_]*`` (or starting with ``__``, or ``job``, or given twice), a gateway
    without host, with a query, or with another scheme than http and https.
    """

#: A label set: label name to label value, both str.
Labels = Mapping[str, str]

@final
class Registry:
    """Named metrics with help text and labels, created on first use and shared afterwards.

    Replaces prometheus_client's registry and ``Counter(...).labels(...)`` children: a look-up
    returns the same ``Counter``, ``Gauge``, ``Histogram``, ``Timer``, ``MinMax`` and
    ``NativeHistogram`` classes as the rest of the package, wrapping the registry's metric, so a
    metric looked up once is then updated without touching the registry. Export reads the
    metrics' atomic cells and never blocks a recorder (it releases the GIL while it writes).

    Get-or-create: the same name and label values give the same metric (equal objects, one
    state). The same name with another kind or another set of label names, an invalid metric
    or label name (the Prometheus data model: ``[a-zA-Z_:][a-zA-Z0-9_:]*`` and
    ``[a-zA-Z_][a-zA-Z0-9_]*``, no ``__`` prefix, no ``le`` on a histogram, timer or native
    histogram) or a label given twice raise ``ValueError`` and register nothing; labels that are
    not a ``dict`` of ``str`` to ``str`` raise ``TypeError``. Help text, histogram buckets and
    native histogram options are taken from the call that creates the family.

    ``Registry()`` is private to its creator; ``Registry.default()`` (or ``default_registry()``)
    is the process-wide registry every thread and every binding in the process shares, and
    ``Registry.named(name)`` a process-wide registry by name.

    >>> r = Registry()
    >>> ok = r.counter("http_requests", "Requests served.", labels={"code": "200"})
    >>> ok.inc()
    >>> r.counter("http_requests", labels={"code": "200"}).get()
    1
    >>> print(r.export())
    # HELP http_requests_total Requests served.
    # TYPE http_requests_total counter
    http_requests_total{code="200"} 1
    <BLANKLINE>
    """

    def __init__(self) -> None:
        """A new, empty registry that nothing else shares."""
    @staticmethod
    def default() -> Registry:
        """The process-wide default registry (always the same object)."""
    @staticmethod
    def named(name: str) -> Registry:
        """The process-wide registry called ``name``, created on first use (``""`` is not the
        default registry)."""
    def counter(self, name: str, help: str = "", labels: Labels | None = None) -> Counter:
        """The counter ``name`` with these labels, created if absent. Exported as
        ``<name>_total`` (a ``_total`` already in ``name`` is not doubled).

        :raises ValueError: for an invalid name or label name, a name registered as another kind
            or with other label names.
        :raises TypeError: if ``labels`` is not a mapping of str to str.
        """
    def gauge(self, name: str, help: str = "", labels: Labels | None = None) -> Gauge:
        """The gauge ``name`` with these labels, created if absent.

        :raises ValueError, TypeError: as ``counter``.
        """
    def histogram(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        buckets: Iterable[float] | None = None,
        scale: float | None = None,
    ) -> Histogram:
        """The histogram ``name`` with these labels, created if absent.

        :param buckets: upper bounds of the exported cumulative buckets, strictly increasing, in
            exported units (``+Inf`` is always added); default Prometheus' latency buckets
            (0.005 to 10 seconds).
        :param scale: exported value = recorded value x ``scale``; default ``1e-9``: record
            nanoseconds, export seconds. Use ``1`` (with your own buckets) to export the recorded
            values as they are.
        Both apply to a new family and are ignored for an existing one.
        :raises ValueError: as ``counter``, and for buckets that are not finite and strictly
            increasing or a scale that is not positive.
        :raises TypeError: as ``counter``, or if ``buckets`` is not a sequence of numbers.
        """
    def summary(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        *,
        quantiles: Iterable[float] | None = None,
        max_age: Seconds | None = None,
        age_buckets: int | None = None,
        significant_figures: int | None = None,
        highest: int | None = None,
        scale: float | None = None,
    ) -> Summary:
        """The summary ``name`` with these labels, created if absent: exported as
        ``<name>{quantile="0.5"}``... over its window, ``<name>_sum`` and ``<name>_count`` over
        all time. The keyword arguments are ``Summary()``'s, and ``scale`` (exported value =
        recorded value x ``scale``, default ``1e-9``: record nanoseconds, export seconds); they
        apply to a new family and are ignored for an existing one. ``quantile`` is a reserved
        label.

        :raises ValueError: as ``counter``, and for options ``Summary()`` refuses or a scale
            that is not positive.
        """
    def info(self, name: str, help: str = "", labels: Labels | None = None) -> Info:
        """The info ``name`` with these labels, created (with no pairs) if absent: exported as
        ``<name>_info`` (one ``_info`` suffix whether or not ``name`` ends in it); its pairs may
        not use the family's label names.

        :raises ValueError: as ``counter``.
        :raises TypeError: as ``counter``.
        """
    def enum(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        states: Sequence[str] | None = None,
    ) -> Enum:
        """The enum ``name`` with these labels, created in its first state if absent. ``states``
        (required) lays out a new family and is ignored for an existing one. Its state label is
        named ``name``, so ``name`` must also be a valid label name (no ``:``) and no other label
        may be called so.

        :raises ValueError: as ``counter``, and for bad states.
        :raises TypeError: as ``counter``, or if ``states`` is missing or not a sequence of str.
        """
    def timer(self, name: str, help: str = "", labels: Labels | None = None) -> Timer:
        """The timer ``name`` with these labels, created if absent. Exported as a histogram of
        seconds ``<name>`` (Prometheus' default buckets) and a counter ``<name>_errors_total``.

        :raises ValueError, TypeError: as ``counter``.
        """
    def minmax(self, name: str, help: str = "", labels: Labels | None = None) -> MinMax:
        """The min/max ``name`` with these labels, created if absent. Exported as gauges
        ``<name>_min`` and ``<name>_max`` once a value was recorded.

        :raises ValueError, TypeError: as ``counter``.
        """
    def native_histogram(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        *,
        schema: int = 3,
        zero_threshold: float | None = None,
        dense_range: tuple[float, float] | None = None,
        classic_buckets: Iterable[float] | None = None,
    ) -> NativeHistogram:
        """The native histogram ``name`` with these labels, created if absent. Record floats
        (seconds for durations: ``record_duration``).

        Exported in the protobuf format as a Prometheus native histogram (schema, zero bucket,
        spans; with classic ``le`` buckets too when ``classic_buckets`` are given), and in the
        text formats as a classic histogram: the ``classic_buckets``, ``+Inf``, ``_sum`` and
        ``_count`` (only the last three without them, as client_golang does).

        :param schema, zero_threshold, dense_range: as ``NativeHistogram()``.
        :param classic_buckets: classic ``le`` bounds, finite and strictly increasing, each
            counting the values of the native buckets wholly at or below it (exact for bounds
            on native boundaries, such as powers of two).
        The options apply to a new family and are ignored for an existing one.
        :raises ValueError: as ``counter``, and for bad options (as ``NativeHistogram()``) or
            classic buckets that are not finite and strictly increasing.
        :raises TypeError: as ``counter``, or if ``classic_buckets`` is not a sequence of numbers.
        """
    def register_default_metrics(self) -> None:
        """Registers the default metrics, as prometheus_client's default registry has them: the
        process metrics (``process_cpu_seconds_total``, ``process_resident_memory_bytes``,
        ``process_virtual_memory_bytes``, ``process_open_fds``, ``process_max_fds``,
        ``process_start_time_seconds``; Linux only) and the Python ones
        (``python_gc_objects_collected_total``, ``python_gc_objects_uncollectable_total`` and
        ``python_gc_collections_total`` per ``generation``, from ``gc.get_stats()``, and
        ``python_info``), with prometheus_client's names, types and help texts. Their values are
        read at each ``export``/``export_bytes`` of this package (every scrape, ``Collector`` and
        push) and never in between. Calling it again does nothing.

        :raises ValueError: on a platform other than Linux, or if the registry already has a
            family whose exported names meet theirs (the process metrics are then not
            registered; a refusal of a Python family leaves the process metrics registered).
        """
    def export(self, format: Literal["prometheus", "openmetrics", "json"] = "prometheus") -> str:
        """Every metric, families and series sorted by name and label values.

        ``"prometheus"``: text exposition format 0.0.4 (``PROMETHEUS_CONTENT_TYPE``);
        ``"openmetrics"``: OpenMetrics 1.0 text ending in ``# EOF`` (``OPENMETRICS_CONTENT_TYPE``);
        ``"json"``: ``{"families": [{"name", "kind", "help", "labels", "series": [{"labels",
        ...}]}]}`` where a counter or gauge series has ``"value"``, a histogram or timer
        ``"count"``, ``"sum"``, ``"min"``, ``"max"`` and ``"buckets": [{"le", "count"}]``
        (cumulative, exported units, without ``+Inf``), a timer also ``"errors"``, a min/max
        ``"min"`` and ``"max"`` (null while empty); a native histogram ``"count"``, ``"sum"``,
        ``"buckets"`` (its classic buckets), ``"schema"``, ``"zero_threshold"``,
        ``"zero_count"``, ``"positive"`` and ``"negative"`` (``[key, count]`` pairs).

        The protobuf format is binary: ``export_bytes("protobuf")``.

        :raises ValueError: for another format (``"protobuf"`` included).
        """
    def export_bytes(self, format: ExportFormat = "prometheus") -> bytes:
        """Every metric as the body of an HTTP response: ``"prometheus"``, ``"openmetrics"``
        and ``"json"`` as ``export`` writes them, UTF-8 encoded; ``"protobuf"``: the Prometheus
        protobuf format (``PROTOBUF_CONTENT_TYPE``), one length-delimited
        ``io.prometheus.client.MetricFamily`` message per exported family, as client_golang
        writes them, the only format that carries native histograms' buckets. Families without
        a series are left out of it.

        Pair it with ``negotiate``: ``fmt, content_type = negotiate(accept)``.

        :raises ValueError: for another format.
        """
    def remove(self, name: str, labels: Labels | None = None) -> bool:
        """Removes the series of family ``name`` with these labels (any order): it is no longer
        exported and no longer counts against ``series_limit``. ``False`` if there was none (or
        no such family).

        A handle to the series that a caller still holds keeps working: its updates are
        accepted and never exported again, and its memory is freed with the last handle. Looking
        the series up again creates a new one, starting from zero. The family stays registered
        (name, kind, help, label names).

        >>> r = Registry()
        >>> old = r.counter("jobs", labels={"queue": "mail"})
        >>> old.inc()
        >>> r.remove("jobs", labels={"queue": "mail"}), r.remove("jobs", labels={"queue": "mail"})
        (True, False)
        >>> r.counter("jobs", labels={"queue": "mail"}).get()
        0

        :raises ValueError: if the label names are not the family's.
        :raises TypeError: if ``labels`` is not a mapping of str to str.
        """
    def clear_family(self, name: str) -> int:
        """Removes every series of family ``name`` (as ``remove`` does each), returning how many
        there were (0 for no such family)."""
    def clear(self) -> int:
        """Removes every series of every family (as ``remove`` does each), returning how many
        there were. The families stay registered."""
    @property
    def series_limit(self) -> int | None:
        """The cap on the number of series (one per name and label values), ``None`` for no cap.
        A label with unbounded values (a user id, a URL) otherwise grows memory without end.
        Creating a series past the cap raises ``ValueError`` (and is counted in
        ``refused_series``); existing series keep working. Settable."""
    @series_limit.setter
    def series_limit(self, limit: int | None) -> None:
        """Sets the cap (``None`` removes it); existing series are never removed."""
    @property
    def series_count(self) -> int:
        """Number of series in the registry (every label set of every family)."""
    @property
    def refused_series(self) -> int:
        """Number of series refused because ``series_limit`` was reached."""
    def __len__(self) -> int:
        """Number of metric families."""
    def __eq__(self, other: object) -> bool:
        """True when both objects are the same registry."""
    def __hash__(self) -> int:
        """Hash of the registry's identity."""
    def __repr__(self) -> str:
        """``Registry(families=N)``, ``Registry.default(...)`` or ``Registry.named(...)``."""

def default_registry() -> Registry:
    """The process-wide default registry (same as ``Registry.default()``)."""

GaugeMode = Literal[
    "all", "liveall", "sum", "livesum", "max", "livemax", "min", "livemin", "mostrecent"
]

@final
class SharedRegistry:
    """A registry whose metrics live in one shared-memory segment, shared by every process that
    opens it: the workers of gunicorn or uvicorn, a ``multiprocessing`` pool, processes written in
    other languages. A counter incremented by eight workers reads as the total of all eight, from
    any of them or from a process that only exports; no file per process, no merge on scrape.

    The same API as ``Registry``, with the same rules for names and labels, returning the same
    ``Counter``, ``Gauge``, ``Histogram`` and ``Timer`` classes: their cells are in the segment,
    so ``inc()`` costs what it costs on an in-process counter. Counters and histograms add up
    across processes and never go backwards, also when a process is killed. A gauge keeps one
    value per process, combined at export by its ``mode``; the ``live`` modes drop a dead
    process's value by themselves (SIGKILL included: no hook, no cleanup to call).

    ``path_or_name``: a name (letters, digits, ``.``, ``_``, ``-``) is the file
    ``<dir>/atomicperf-<name>``, ``dir`` defaulting to ``/dev/shm``; anything with a ``/`` is a
    path. The segment is created on first open (``create=False`` opens an existing one only);
    racing openers are safe. The sizes (``max_series`` 4096, ``max_processes`` 64,
    ``data_bytes`` 64 MiB, ``counter_stripes``) and ``mode`` (0o600) apply at creation; a full
    segment raises ``ValueError`` for new series and keeps the others working.

    Metrics created before ``os.fork()`` (a pre-fork server's master) work in the children: a
    counter's increments add to the same total, and a gauge gets a value of its own per process.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "metrics")
    >>> r = SharedRegistry(path)
    >>> r.counter("jobs", "Jobs done.").inc()
    >>> r.gauge("busy", mode="livesum").set(1)
    >>> "jobs_total 1" in r.export() and "busy 1" in r.export()
    True
    >>> r.unlink()

    :raises ValueError: for an invalid name or option, a file that cannot be opened for reading
        and writing, or one that is not a whole segment of this layout version (another file,
        another version, truncated, corrupted).
    """

    def __init__(
        self,
        path_or_name: str,
        *,
        dir: str | os.PathLike[str] | None = None,
        mode: int | None = None,
        max_series: int | None = None,
        max_processes: int | None = None,
        data_bytes: int | None = None,
        counter_stripes: int | None = None,
        create: bool = True,
    ) -> None:
        """Opens the shared registry ``path_or_name``, creating its segment if there is none
        (unless ``create`` is false). ``None`` options take the defaults."""
    @staticmethod
    def remove(path_or_name: str, *, dir: str | os.PathLike[str] | None = None) -> None:
        """Removes the segment file (processes that have it open keep using it; the next open
        creates a new, empty one).

        :raises ValueError: when there is no such file or it cannot be removed.
        """
    def unlink(self) -> None:
        """Removes this registry's file name; the registry and its metrics keep working."""
    def counter(self, name: str, help: str = "", labels: Labels | None = None) -> Counter:
        """The counter ``name`` with these labels, created if absent (by this or any process).

        :raises ValueError: as ``Registry.counter``, and when the segment is full.
        :raises TypeError: if ``labels`` is not a mapping of str to str.
        """
    def gauge(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        mode: GaugeMode = "all",
    ) -> Gauge:
        """The gauge ``name`` with these labels, created if absent. The gauge reads and writes
        this process's value; ``mode`` says how the processes' values are exported:

        ``"all"``: one series per process, labelled ``pid`` (alive or exited); ``"liveall"``: per
        live process; ``"sum"`` / ``"livesum"``: their sum; ``"max"`` / ``"livemax"``,
        ``"min"`` / ``"livemin"``: the extreme (no sample while no process has a value);
        ``"mostrecent"``: one value for every process, the last set wins. An exited process's
        value stays in the non-live modes until a new process takes its slot.

        :raises ValueError: as ``counter``; for an unknown mode, a family registered with another
            mode, a ``pid`` label with ``"all"`` or ``"liveall"``, or a full process table.
        """
    def histogram(
        self,
        name: str,
        help: str = "",
        labels: Labels | None = None,
        buckets: Iterable[float] | None = None,
        scale: float | None = None,
    ) -> Histogram:
        """The histogram ``name`` with these labels, created if absent; ``buckets`` and ``scale``
        as for ``Registry.histogram``.

        :raises ValueError, TypeError: as ``Registry.histogram``, and when the segment is full.
        """
    def timer(self, name: str, help: str = "", labels: Labels | None = None) -> Timer:
        """The timer ``name`` with these labels, created if absent.

        :raises ValueError, TypeError: as ``counter``.
        """
    def export(self, format: Literal["prometheus", "openmetrics", "json"] = "prometheus") -> str:
        """Every process's metrics, combined, in the formats of ``Registry.export`` (written by
        the same code). ``atomicperf.prometheus.Collector`` takes a shared registry too.

        :raises ValueError: for another format (``"protobuf"`` included: ``export_bytes``).
        """
    def export_bytes(self, format: ExportFormat = "prometheus") -> bytes:
        """Every process's metrics, combined, as the body of an HTTP response, in the formats
        of ``Registry.export_bytes`` (``"protobuf"`` included); what
        ``atomicperf.prometheus.make_wsgi_app`` serves.

        :raises ValueError: for another format.
        """
    @property
    def path(self) -> str:
        """The segment file."""
    @property
    def series_count(self) -> int:
        """Number of series in the segment, registered by any process."""
    @property
    def max_series(self) -> int:
        """The segment's capacity in series."""
    @property
    def max_processes(self) -> int:
        """The segment's process table slots."""
    @property
    def refused_series(self) -> int:
        """Series refused because the segment was full, by any process."""
    @property
    def refused_processes(self) -> int:
        """Times a process found the process table full."""
    def __len__(self) -> int:
        """Number of metric families in the segment."""
    def __eq__(self, other: object) -> bool:
        """True when both objects are the same opened registry."""
    def __hash__(self) -> int:
        """Hash of the opened registry's identity."""
    def __repr__(self) -> str:
        """``SharedRegistry("<path>", families=N)``."""

@final
class BenchReport:
    """The report of a benchmark run (``atomicperf.bench.run_report``), rendered by the core.

    ``atomicperf.bench.run`` returns the same report as a dict (its JSON parsed).
    """

    def to_json(self) -> str:
        """The report as JSON, schema ``atomicperf-bench/1``: ``{"schema", "version", "cpus",
        "threads", "cell_seconds", "total_seconds", "cells": [{"workload", "description",
        "design", "baseline", "threads", "ops", "seconds", "ops_per_sec", "ns_per_op",
        "p50_ns", "p99_ns", "speedup"}], "published": [{"source", "what", "figure",
        "answered_by"}]}``."""
    def to_table(self) -> str:
        """The report as a plain-text table for a terminal (what ``python -m atomicperf bench``
        prints)."""
    def to_markdown(self) -> str:
        """The report as a Markdown table, followed by the published figures it answers."""
    def __repr__(self) -> str:
        """``BenchReport(cells=.., threads=[..], cell_seconds=.., total_seconds=..)``."""

def _bench_run(
    threads: int | Iterable[int],
    duration: Seconds,
    filter: str | Iterable[str] | None = None,
    progress: Callable[[int, int, str, str, int], object] | None = None,
) -> BenchReport:
    """The benchmark suite on Rust threads with the GIL released; use ``atomicperf.bench``."""

def _bench_workloads() -> list[str]:
    """Names of the suite's workloads, in report order; use ``atomicperf.bench.workloads``."""

def _statuses() -> list[tuple[int, str]]:
    """Every status of the core, in code order: ``(code, name)`` (``AP_OK`` included)."""

def _status_exceptions() -> dict[str, type[BaseException]]:
    """The class each status is raised as, by status name (the table above; ``AP_OK`` has
    none)."""
