use std::sync::OnceLock;

use crate::exemplar::{self, Exemplar, Slots};
use crossbeam_utils::CachePadded;

use crate::cells::CellBlock;
use crate::stripe::thread_index;
use crate::sync::{AtomicU64, Ordering};
use crate::Error;

/// A monotonic `u64` counter that scales with threads: equivalent to a `Mutex<u64>` or one shared
/// `AtomicU64`, except that increments from different threads never touch the same cache line, and
/// reads are slower because they sum every stripe.
///
/// The counter holds a power-of-two number of cache-padded cells (stripes). Each thread adds to
/// the stripe picked by its round-robin thread index, so with no more threads than stripes no two
/// threads ever bounce a cache line between cores. [`get`](Counter::get) sums the stripes.
///
/// # Guarantees
/// - No increment is ever lost: every `inc`/`add` is one atomic `fetch_add` on some stripe.
/// - Increments are `Relaxed`: they order nothing else. `get` is exact once the writers have
///   stopped and their work is visible to the reader (for example after `join`); while writers run
///   it returns a value between the totals at the start and at the end of the call.
/// - The total wraps at 2^64, like `u64::wrapping_add`.
/// - `inc` returns nothing on purpose: the previous total does not exist in one place.
///
/// # Layout
/// Stripes are `CachePadded<AtomicU64>` in one contiguous allocation: a fixed layout with no
/// pointers inside, so foreign code can be handed the cells (see the C ABI). A counter from a
/// [`SharedRegistry`](crate::SharedRegistry) has the same layout in shared memory, where the
/// threads of every process that opened the registry add to the same stripes.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use atomicperf::Counter;
///
/// let hits = Arc::new(Counter::new());
/// let workers: Vec<_> = (0..4)
///     .map(|_| {
///         let hits = Arc::clone(&hits);
///         std::thread::spawn(move || for _ in 0..1000 { hits.inc() })
///     })
///     .collect();
/// for w in workers { w.join().unwrap(); }
/// assert_eq!(hits.get(), 4000);
/// ```
pub struct Counter {
    cells: CellBlock<CachePadded<AtomicU64>>,
    mask: usize,
    /// The latest exemplar (allocated on the first).
    exemplar: Slots,
}

/// Upper bound on stripes, so that a counter never costs more than 128 KiB however it is asked.
pub(crate) const MAX_STRIPES: usize = 1024;

impl Counter {
    /// A counter at zero with the default stripe count: twice the available parallelism, rounded
    /// up to a power of two, at most 64 (4 stripes = 512 bytes on a 2-core machine).
    pub fn new() -> Self {
        Self::build(default_stripes())
    }

    /// A counter at zero with `stripes` cells.
    ///
    /// # Errors
    /// [`Error::InvalidStripes`] unless `stripes` is a power of two from 1 to 1024.
    pub fn with_stripes(stripes: usize) -> Result<Self, Error> {
        if stripes == 0 || !stripes.is_power_of_two() || stripes > MAX_STRIPES {
            return Err(Error::InvalidStripes(stripes));
        }
        Ok(Self::build(stripes))
    }

    fn build(stripes: usize) -> Self {
        let cells = (0..stripes)
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect();
        Counter {
            cells: CellBlock::new(cells),
            mask: stripes - 1,
            exemplar: Slots::new(1),
        }
    }

    /// A counter over stripes that live elsewhere (shared memory); `None` unless their number is
    /// a power of two from 1 to 1024.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn on_cells(cells: CellBlock<CachePadded<AtomicU64>>) -> Option<Self> {
        let stripes = cells.len();
        (stripes.is_power_of_two() && stripes <= MAX_STRIPES).then(|| Counter {
            cells,
            mask: stripes - 1,
            exemplar: Slots::new(1),
        })
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.cells[thread_index() & self.mask].fetch_add(n, Ordering::Relaxed);
    }

    /// Adds `n` and makes (`labels`, `n`, `timestamp`) the counter's exemplar: the label set of a
    /// trace (`trace_id`, `span_id`) that this increment belongs to, and optionally when it
    /// happened (seconds since the Unix epoch). Exported in OpenMetrics and protobuf beside the
    /// counter's value (the latest exemplar only). Lock-free; allocates only for the counter's
    /// first exemplar.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a label name outside the Prometheus data model, a name
    /// given twice, a NUL in a value, more than 128 characters of names and values together
    /// (OpenMetrics' limit), or a timestamp that is not finite. Nothing is added then.
    pub fn add_with_exemplar(
        &self,
        n: u64,
        labels: &[(&str, &str)],
        timestamp: Option<f64>,
    ) -> Result<(), Error> {
        exemplar::with_packed(labels, timestamp, |packed| {
            self.exemplar.store(0, packed, n as f64, timestamp);
        })?;
        self.add(n);
        Ok(())
    }

    /// [`add_with_exemplar`](Self::add_with_exemplar) of 1.
    ///
    /// # Errors
    /// As [`add_with_exemplar`](Self::add_with_exemplar).
    pub fn inc_with_exemplar(
        &self,
        labels: &[(&str, &str)],
        timestamp: Option<f64>,
    ) -> Result<(), Error> {
        self.add_with_exemplar(1, labels, timestamp)
    }

    /// The latest exemplar, if any.
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.exemplar.load(0)
    }

    /// The total: the sum of every stripe (see the type's guarantees for concurrent writers).
    pub fn get(&self) -> u64 {
        self.cells
            .iter()
            .fold(0u64, |acc, c| acc.wrapping_add(c.load(Ordering::Relaxed)))
    }

    /// Number of stripes (a power of two).
    pub fn stripes(&self) -> usize {
        self.cells.len()
    }

    /// Bytes from one stripe to the next in [`stripe_cells`](Self::stripe_cells): a cache line
    /// pair (128 on x86-64), so that stripes never share a line.
    pub const STRIPE_STRIDE: usize = std::mem::size_of::<CachePadded<AtomicU64>>();

    /// Address of the first stripe: `stripes()` 8-byte-aligned `u64` cells, `STRIPE_STRIDE` bytes
    /// apart, each an atomic that foreign code (Go's `sync/atomic`, JavaScript's `Atomics`) may
    /// add to with an atomic fetch-and-add. Anything else (stores, subtraction, non-atomic access)
    /// breaks the counter. The cells live, and stay at this address, as long as the counter.
    pub fn stripe_cells(&self) -> *const AtomicU64 {
        &*self.cells[0]
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.get())
            .field("stripes", &self.stripes())
            .finish()
    }
}

pub(crate) fn default_stripes() -> usize {
    // `available_parallelism` reads cgroup files on Linux: far too slow to ask per counter.
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cpus * 2).next_power_of_two().min(64)
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn starts_at_zero_and_counts_inc_and_add() {
        let c = Counter::new();
        assert_eq!(c.get(), 0);
        c.inc();
        c.add(41);
        assert_eq!(c.get(), 42);
    }

    #[test]
    fn default_stripe_count_is_a_power_of_two() {
        let c = Counter::new();
        assert!(c.stripes().is_power_of_two());
        assert!(c.stripes() <= 64);
    }

    #[test]
    fn with_stripes_rejects_zero_non_power_of_two_and_too_many() {
        assert_eq!(
            Counter::with_stripes(0).unwrap_err(),
            Error::InvalidStripes(0)
        );
        assert_eq!(
            Counter::with_stripes(3).unwrap_err(),
            Error::InvalidStripes(3)
        );
        assert_eq!(
            Counter::with_stripes(2048).unwrap_err(),
            Error::InvalidStripes(2048)
        );
        assert_eq!(Counter::with_stripes(1).unwrap().stripes(), 1);
    }

    #[test]
    fn stripe_cells_are_the_stripes_get_sums() {
        let c = Counter::with_stripes(4).unwrap();
        let base = c.stripe_cells().cast::<u8>();
        for i in 0..4 {
            // SAFETY: the documented layout: 4 stripes, STRIPE_STRIDE apart, alive with `c`.
            let cell = unsafe { &*base.add(i * Counter::STRIPE_STRIDE).cast::<AtomicU64>() };
            cell.fetch_add(10 + i as u64, Ordering::Relaxed);
        }
        c.inc();
        assert_eq!(c.get(), 10 + 11 + 12 + 13 + 1);
    }

    #[test]
    fn total_wraps_at_two_to_the_64() {
        let c = Counter::with_stripes(1).unwrap();
        c.add(u64::MAX);
        c.add(2);
        assert_eq!(c.get(), 1);
    }
}
