use crate::sync::{AtomicU64, Ordering};

/// Lock-free running minimum and maximum of `u64` values: equivalent to a `Mutex<(u64, u64)>`,
/// except that recording a value that is not a new extreme is two loads and no write, and a new
/// extreme is a compare-and-swap loop that never waits for another thread.
///
/// An empty `MinMax` says so: [`min`](MinMax::min) and [`max`](MinMax::max) return `None`, never
/// a sentinel such as `u64::MAX`. The three cells (min, max, a "recorded" flag) are plain atomics
/// with no pointers inside. For signed values use [`MinMaxI64`].
///
/// # Guarantees
/// - After concurrent `record`s return, `min` and `max` are the exact extremes of every value.
/// - A reader that sees the MinMax non-empty also sees the extremes of the record that made it
///   so (the flag is published with `Release` after the extremes).
/// - `reset` racing with `record` may keep or lose the racing value; it never mixes in garbage.
///
/// # Example
/// ```
/// use atomicperf::MinMax;
///
/// let latency = MinMax::new();
/// assert_eq!(latency.min(), None);
/// for v in [30, 10, 20] {
///     latency.record(v);
/// }
/// assert_eq!((latency.min(), latency.max()), (Some(10), Some(30)));
/// ```
#[derive(Debug)]
pub struct MinMax {
    min: AtomicU64,
    max: AtomicU64,
    recorded: AtomicU64,
}

impl MinMax {
    /// An empty MinMax.
    pub fn new() -> Self {
        MinMax {
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            recorded: AtomicU64::new(0),
        }
    }

    /// Takes `v` into the running extremes.
    #[inline]
    pub fn record(&self, v: u64) {
        // Load first: most values are not new extremes, and a load shares the cache line where a
        // compare-and-swap would take it exclusively from every other core.
        if v < self.min.load(Ordering::Relaxed) {
            self.min.fetch_min(v, Ordering::Relaxed);
        }
        if v > self.max.load(Ordering::Relaxed) {
            self.max.fetch_max(v, Ordering::Relaxed);
        }
        if self.recorded.load(Ordering::Relaxed) == 0 {
            self.recorded.store(1, Ordering::Release);
        }
    }

    /// The smallest recorded value, `None` if nothing was recorded since creation or `reset`.
    pub fn min(&self) -> Option<u64> {
        self.is_recorded().then(|| self.min.load(Ordering::Relaxed))
    }

    /// The largest recorded value, `None` if nothing was recorded since creation or `reset`.
    pub fn max(&self) -> Option<u64> {
        self.is_recorded().then(|| self.max.load(Ordering::Relaxed))
    }

    /// Forgets every value.
    pub fn reset(&self) {
        self.recorded.store(0, Ordering::Relaxed);
        self.min.store(u64::MAX, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }

    /// The cells `[min, max, recorded]`, for code outside Rust that records without a call. A
    /// writer records `v` exactly as [`record`](Self::record) does: lower `min` to `v` (load;
    /// while `v` is below it, compare-and-swap), raise `max` to `v` the same way, then, if
    /// `recorded` loads 0, store 1 into it (release). Nothing else may be written. They live as
    /// long as the MinMax, at these addresses.
    pub fn cells(&self) -> [&AtomicU64; 3] {
        [&self.min, &self.max, &self.recorded]
    }

    /// Where the cells of [`cells`](Self::cells) lie: `[min, max, recorded]` in bytes from the
    /// MinMax itself (`self as *const MinMax`), each an 8-byte-aligned `u64` within
    /// `size_of::<MinMax>()` bytes. The one description code outside Rust records by (the C ABI's
    /// `ap_minmax_cells` hands it out, the Node binding maps it into JavaScript).
    pub fn cell_offsets(&self) -> [usize; 3] {
        [
            std::mem::offset_of!(MinMax, min),
            std::mem::offset_of!(MinMax, max),
            std::mem::offset_of!(MinMax, recorded),
        ]
    }

    fn is_recorded(&self) -> bool {
        self.recorded.load(Ordering::Acquire) != 0
    }
}

impl Default for MinMax {
    fn default() -> Self {
        Self::new()
    }
}

/// [`MinMax`] over `i64`: the same cells, with values mapped to `u64` by flipping the sign bit,
/// which preserves their order.
///
/// ```
/// use atomicperf::MinMaxI64;
///
/// let drift = MinMaxI64::new();
/// drift.record(-5);
/// drift.record(3);
/// assert_eq!((drift.min(), drift.max()), (Some(-5), Some(3)));
/// ```
#[derive(Debug, Default)]
pub struct MinMaxI64(MinMax);

const SIGN: u64 = 1 << 63;

impl MinMaxI64 {
    /// An empty MinMaxI64.
    pub fn new() -> Self {
        MinMaxI64(MinMax::new())
    }

    /// Takes `v` into the running extremes.
    #[inline]
    pub fn record(&self, v: i64) {
        self.0.record(v as u64 ^ SIGN);
    }

    /// The smallest recorded value, `None` when empty.
    pub fn min(&self) -> Option<i64> {
        self.0.min().map(|u| (u ^ SIGN) as i64)
    }

    /// The largest recorded value, `None` when empty.
    pub fn max(&self) -> Option<i64> {
        self.0.max().map(|u| (u ^ SIGN) as i64)
    }

    /// Forgets every value.
    pub fn reset(&self) {
        self.0.reset();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn empty_reports_none_even_after_reset() {
        let m = MinMax::new();
        assert_eq!((m.min(), m.max()), (None, None));
        m.record(4);
        m.reset();
        assert_eq!((m.min(), m.max()), (None, None));
    }

    #[test]
    fn extremes_of_u64_are_values_not_sentinels() {
        let m = MinMax::new();
        m.record(u64::MAX);
        assert_eq!((m.min(), m.max()), (Some(u64::MAX), Some(u64::MAX)));
        m.record(0);
        assert_eq!((m.min(), m.max()), (Some(0), Some(u64::MAX)));
    }

    #[test]
    fn cell_offsets_locate_the_cells() {
        let m = MinMax::new();
        let base = &m as *const MinMax as usize;
        let cells = m.cells().map(|c| c.as_ptr() as usize - base);
        assert_eq!(m.cell_offsets(), cells);
        for offset in cells {
            assert!(offset % 8 == 0 && offset + 8 <= std::mem::size_of::<MinMax>());
        }
    }

    #[test]
    fn signed_variant_orders_negative_values_first() {
        let m = MinMaxI64::new();
        for v in [0, i64::MIN, 17, i64::MAX, -1] {
            m.record(v);
        }
        assert_eq!((m.min(), m.max()), (Some(i64::MIN), Some(i64::MAX)));
    }
}
