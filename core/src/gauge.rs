use crossbeam_utils::CachePadded;

use crate::cells::ExternalCell;
use crate::sync::{AtomicU64, Ordering};

/// An `f64` that many threads set and adjust without a lock: equivalent to a `Mutex<f64>`, except
/// that `set` and `get` are single atomic stores and loads, and read-modify-write operations
/// (`add`, `set_max`, ...) are compare-and-swap loops that retry instead of blocking.
///
/// The value is kept as its IEEE-754 bits in one cache-padded `AtomicU64` (a fixed layout with no
/// pointers, which foreign code may store to directly). A gauge from a
/// [`SharedRegistry`](crate::SharedRegistry) keeps its bits in shared memory instead: in the
/// calling process's own cell for the per-process modes (a forked child gets a cell of its own on
/// first use), or in one cell for every process ([`GaugeMode::MostRecent`](crate::GaugeMode)).
///
/// # Guarantees
/// - Every operation is linearizable on the single cell: concurrent `add`s are never lost.
/// - Stores and loads are `Relaxed`; a gauge does not order other memory.
/// - NaN is a value like any other for `set`; `set_max`/`set_min` follow `f64::max`/`f64::min`,
///   which ignore a NaN argument.
///
/// # Example
/// ```
/// use atomicperf::Gauge;
///
/// let in_flight = Gauge::new();
/// in_flight.inc();
/// in_flight.add(2.5);
/// in_flight.dec();
/// assert_eq!(in_flight.get(), 2.5);
/// in_flight.set_max(10.0);
/// assert_eq!(in_flight.get(), 10.0);
/// ```
pub struct Gauge {
    inner: CachePadded<Inner>,
}

struct Inner {
    bits: AtomicU64,
    /// Where the bits are when they are not in `bits`: shared memory.
    external: Option<Box<dyn ExternalCell>>,
}

impl Gauge {
    /// A gauge at `0.0`.
    pub fn new() -> Self {
        Self::with_value(0.0)
    }

    /// A gauge at `v`.
    pub fn with_value(v: f64) -> Self {
        Gauge {
            inner: CachePadded::new(Inner {
                bits: AtomicU64::new(v.to_bits()),
                external: None,
            }),
        }
    }

    /// A gauge whose bits live in `cell` (shared memory).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn external(cell: Box<dyn ExternalCell>) -> Self {
        Gauge {
            inner: CachePadded::new(Inner {
                bits: AtomicU64::new(0),
                external: Some(cell),
            }),
        }
    }

    #[inline]
    fn bits(&self) -> &AtomicU64 {
        match &self.inner.external {
            None => &self.inner.bits,
            Some(e) => e.cell(),
        }
    }

    /// Address of the gauge's cell: one 8-byte-aligned `u64` holding the value's IEEE-754 bits.
    /// Foreign code may store to it atomically (`set`) or compare-and-swap it (`add`); the cell
    /// lives, and stays at this address, as long as the gauge. For a per-process gauge of a
    /// [`SharedRegistry`](crate::SharedRegistry) it is the calling process's cell (a forked
    /// child must ask again).
    pub fn cell(&self) -> *const AtomicU64 {
        self.bits()
    }

    /// Replaces the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.bits().store(v.to_bits(), Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits().load(Ordering::Relaxed))
    }

    /// Adds `d` (which may be negative).
    #[inline]
    pub fn add(&self, d: f64) {
        self.update(|v| Some(v + d));
    }

    /// Subtracts `d`.
    #[inline]
    pub fn sub(&self, d: f64) {
        self.add(-d);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// Raises the value to `v` if `v` is greater (a high-water mark).
    #[inline]
    pub fn set_max(&self, v: f64) {
        // Only write when it changes: a high-water mark is mostly read, and a failed comparison
        // costs a load where a store would take the cache line from every other core.
        self.update(|cur| (cur.max(v).to_bits() != cur.to_bits()).then(|| cur.max(v)));
    }

    /// Lowers the value to `v` if `v` is smaller (a low-water mark).
    #[inline]
    pub fn set_min(&self, v: f64) {
        self.update(|cur| (cur.min(v).to_bits() != cur.to_bits()).then(|| cur.min(v)));
    }

    fn update(&self, f: impl Fn(f64) -> Option<f64>) {
        let bits = self.bits();
        let mut cur = bits.load(Ordering::Relaxed);
        while let Some(next) = f(f64::from_bits(cur)) {
            match bits.compare_exchange_weak(
                cur,
                next.to_bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge").field("value", &self.get()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn set_add_sub_inc_dec() {
        let g = Gauge::new();
        g.set(3.5);
        g.add(1.5);
        g.sub(2.0);
        g.inc();
        g.dec();
        g.dec();
        assert_eq!(g.get(), 2.0);
    }

    #[test]
    fn set_max_only_raises_and_set_min_only_lowers() {
        let g = Gauge::with_value(5.0);
        g.set_max(3.0);
        assert_eq!(g.get(), 5.0);
        g.set_max(7.0);
        assert_eq!(g.get(), 7.0);
        g.set_min(9.0);
        assert_eq!(g.get(), 7.0);
        g.set_min(-1.0);
        assert_eq!(g.get(), -1.0);
    }

    #[test]
    fn nan_argument_is_ignored_by_set_max_and_set_min() {
        let g = Gauge::with_value(1.0);
        g.set_max(f64::NAN);
        g.set_min(f64::NAN);
        assert_eq!(g.get(), 1.0);
    }

    #[test]
    fn set_max_from_nan_takes_the_number() {
        let g = Gauge::with_value(f64::NAN);
        g.set_max(4.0);
        assert_eq!(g.get(), 4.0);
    }
}
