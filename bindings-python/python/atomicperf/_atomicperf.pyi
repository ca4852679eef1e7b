"""Lock-free metrics primitives backed by the atomicperf Rust core.

Every class is safe to share between threads. No method blocks, takes a lock or releases the GIL.
Integer arguments are checked: a negative or too large int raises ``ValueError``, anything that
is not an int (a float, a str) raises ``TypeError``.

Statistics are methods (``h.count()``, ``h.min()``, ...), as in the other atomicperf bindings;
properties are kept for the current value of a Counter or Gauge (``value``) and for a histogram's
fixed layout (``significant_figures``, ``highest``, ``relative_error``).
"""

from typing import Final, final

__version__: Final[str]
__all__ = ["Counter", "Gauge", "Histogram", "__version__"]

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
